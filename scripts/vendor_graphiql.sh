#!/usr/bin/env bash
# Re-vendor the GraphiQL browser bundle into server/static/graphiql/.
#
# Why: GraphiQL must be served from our own origin (privacy policy section 7:
# no third-party requests; strict CSP with script-src 'self'). The files are
# committed, so nothing is fetched at run time; this script only makes the
# copy reproducible. Versions and tarball checksums are pinned; to upgrade,
# change both here, re-run, and review the diff.
#
# Files are copied byte for byte (the sourceMappingURL comment at the end of
# graphiql.min.js is left alone; the map itself is not vendored).
#
# Usage: scripts/vendor_graphiql.sh        (needs node + npm and the npm registry)
set -euo pipefail

GRAPHIQL_VERSION="3.9.0"
REACT_VERSION="18.3.1"
REACT_DOM_VERSION="18.3.1"
# sha256 of the published tarballs: a changed upstream artefact fails loudly.
GRAPHIQL_SHA256="d955c99ae100ed5facb45f4f94d1a8c0a156f81106434f0e35b0dcb0be574f27"
REACT_SHA256="8d9bed01a672e7eaf387942d781ad47c6a43089a30a0306060f9fd5ac7870347"
REACT_DOM_SHA256="031d4427a99f2f3f6cac18bbbf308594a67e4f47d10f4896fdec446505b040e0"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/server/static/graphiql"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cd "$WORK"
# npm pack only downloads the published tarballs (no install scripts run).
npm pack --silent "graphiql@${GRAPHIQL_VERSION}" "react@${REACT_VERSION}" \
  "react-dom@${REACT_DOM_VERSION}" >/dev/null
printf '%s  %s\n' \
  "$GRAPHIQL_SHA256" "graphiql-${GRAPHIQL_VERSION}.tgz" \
  "$REACT_SHA256" "react-${REACT_VERSION}.tgz" \
  "$REACT_DOM_SHA256" "react-dom-${REACT_DOM_VERSION}.tgz" | sha256sum --check --quiet

unpack() {  # unpack <tarball> <dir>
  mkdir -p "$2"
  tar -xzf "$1" -C "$2" --strip-components=1
}
unpack "graphiql-${GRAPHIQL_VERSION}.tgz" graphiql
unpack "react-${REACT_VERSION}.tgz" react
unpack "react-dom-${REACT_DOM_VERSION}.tgz" react-dom

mkdir -p "$DEST"
install -m 0644 graphiql/graphiql.min.js "$DEST/graphiql.min.js"
install -m 0644 graphiql/graphiql.min.css "$DEST/graphiql.min.css"
install -m 0644 graphiql/LICENSE "$DEST/LICENSE.graphiql"
install -m 0644 react/umd/react.production.min.js "$DEST/react.production.min.js"
install -m 0644 react/LICENSE "$DEST/LICENSE.react"
install -m 0644 react-dom/umd/react-dom.production.min.js "$DEST/react-dom.production.min.js"
install -m 0644 react-dom/LICENSE "$DEST/LICENSE.react-dom"

cat >"$DEST/VERSIONS" <<EOF
graphiql ${GRAPHIQL_VERSION}: graphiql.min.js, graphiql.min.css (MIT, LICENSE.graphiql)
react ${REACT_VERSION}: umd/react.production.min.js (MIT, LICENSE.react)
react-dom ${REACT_DOM_VERSION}: umd/react-dom.production.min.js (MIT, LICENSE.react-dom)
Vendored by scripts/vendor_graphiql.sh; SHA256SUMS lists the copied files.
EOF

(cd "$DEST" && sha256sum graphiql.min.js graphiql.min.css react.production.min.js \
  react-dom.production.min.js >SHA256SUMS)
echo "vendored into $DEST:"
cat "$DEST/VERSIONS"
