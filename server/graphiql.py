"""The GraphiQL page, served from our own static files under a strict CSP.

Why: strawberry's built-in page loads GraphiQL from a public CDN, which is a
third-party request (privacy policy section 7) and fails offline. This page
references only `/static/graphiql/...` files (vendored by
`scripts/vendor_graphiql.sh`), runs no inline script, and allows inline styles
only through a per-response nonce (GraphiQL's dialogs inject one `<style>`).
`server/app.py` returns `graphiql_response()` from its `render_graphql_ide`
override and mounts `StaticFiles(directory=STATIC_DIR)` at `/static`.
"""

from __future__ import annotations

import html
import pathlib
import secrets

from starlette.responses import HTMLResponse

STATIC_DIR: pathlib.Path = pathlib.Path(__file__).resolve().parent / "static"
"""Directory mounted at `/static`; the GraphiQL files live in its `graphiql/` folder."""

_ASSETS = "/static/graphiql"

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="csp-nonce" content="{nonce}">
<title>Ledgerline GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{assets}/graphiql.min.css">
<link rel="stylesheet" href="{assets}/ledgerline-graphiql.css">
<script defer src="{assets}/react.production.min.js"></script>
<script defer src="{assets}/react-dom.production.min.js"></script>
<script defer src="{assets}/graphiql.min.js"></script>
<script defer src="{assets}/ledgerline-graphiql.js"></script>
</head>
<body>
<div id="ll-panel">
  <form id="ll-login-form" method="post" action="/graphql" autocomplete="on">
    <label>Email <input id="ll-email" name="email" type="email"
      autocomplete="username" required></label>
    <label>Password <input id="ll-password" name="password" type="password"
      autocomplete="current-password" required></label>
    <button id="ll-login" type="submit">Sign in</button>
  </form>
  <label>Bearer token <input id="ll-token" class="ll-secret" type="text" autocomplete="off"
    autocapitalize="off" spellcheck="false" placeholder="paste a token (kept in memory only)">
  </label>
  <button id="ll-logout" type="button">Log out</button>
  <span id="ll-whoami" aria-live="polite">Not signed in</span>
  <span id="ll-status" role="status"></span>
</div>
<div id="graphiql">Loading GraphiQL…</div>
<noscript>GraphiQL needs JavaScript.</noscript>
</body>
</html>
"""


def new_nonce() -> str:
    """A fresh, unguessable CSP nonce; one per response so it cannot be replayed."""
    return secrets.token_urlsafe(18)


def graphiql_html(nonce: str) -> str:
    """The full page; the nonce goes into a meta tag where the page script reads it."""
    return _PAGE.format(nonce=html.escape(nonce, quote=True), assets=_ASSETS)


def graphiql_csp(nonce: str) -> str:
    """The page's CSP: same-origin only, no inline script, inline style by nonce only."""
    return (
        "default-src 'self'; "
        "script-src 'self'; "
        f"style-src 'self' 'nonce-{nonce}'; "
        "font-src 'self' data:; "
        "img-src 'self' data:; "
        "connect-src 'self'; "
        "worker-src 'self'; "
        "object-src 'none'; "
        "base-uri 'none'; "
        "frame-ancestors 'none'; "
        "form-action 'self'"
    )


def graphiql_response() -> HTMLResponse:
    """The page with its own CSP; `no-store` because every response has a new nonce."""
    nonce = new_nonce()
    return HTMLResponse(
        graphiql_html(nonce),
        headers={
            "Content-Security-Policy": graphiql_csp(nonce),
            "Cache-Control": "no-store",
        },
    )
