#!/usr/bin/env bash
# Installs what the external suites need beyond the virtualenv: Debian's Chromium for
# the GraphiQL browser test (never `playwright install`), and checks for node/npm.
# Quiet when everything is already there.
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the GraphiQL browser test" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
      || (apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null) \
      || echo "could not install chromium; the browser test will say so" >&2
  else
    echo "chromium is missing (apt-get install -y chromium); the browser test will say so" >&2
  fi
fi
command -v npm >/dev/null 2>&1 || echo "npm is missing; the JavaScript suites will say so" >&2
exit 0
