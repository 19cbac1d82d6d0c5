"""The GraphiQL page, served from our own static files under a strict CSP.

Why: strawberry's built-in page loads GraphiQL from a public CDN, which is a
third-party request (privacy policy section 7) and fails offline. This page
references only `/static/graphiql/...` files (vendored by
`scripts/vendor_graphiql.sh`), runs no inline script, and allows inline styles
only through a per-response nonce (GraphiQL's dialogs inject one `<style>`).
`server/view.py` returns `graphiql_response()` from its `render_graphql_ide`
override and `server/app.py` mounts `StaticFiles(directory=STATIC_DIR)` at `/static`.

The page opens with the README's contacts query; outside production it names the
demo logins in a picker that signs in as each demo user (issue 14). Its script
(`ledgerline-graphiql.js`) shows who is signed in (email, role, tenant) for whichever
credential is in use, switches tenants, and adds a "Redactions" plugin listing the
last result's `extensions.redactions` by row and field, each reason in the plain words
of the SDL's `RedactionReason` descriptions, with a legend and an explain button.
Data reaches the script through `data-` attributes, never an inline script.
"""

from __future__ import annotations

import html
import pathlib
import secrets

from starlette.responses import HTMLResponse

from auth.permissions import Role
from server.demo import DEMO_PASSWORD, DEMO_TENANTS, demo_email

STATIC_DIR: pathlib.Path = pathlib.Path(__file__).resolve().parent / "static"
"""Directory mounted at `/static`; the GraphiQL files live in its `graphiql/` folder."""

_ASSETS = "/static/graphiql"

STARTER_QUERY = """{
  contacts(first: 5) {
    totalCount
    nodes { id firstName email lifecycleStage }
  }
}
"""
"""The query the editor opens with: the README's contacts query."""

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
<body data-starter-query="{starter}">
<div id="ll-panel">
{demo}
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
  <label>Tenant <select id="ll-tenant" disabled><option value="">-</option></select></label>
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


def demo_picker() -> str:
    """A select naming every demo login (development only); choosing one signs in."""
    options = ['<option value="">Sign in as a demo user…</option>']
    for _name, slug, _region in DEMO_TENANTS:
        for role in Role:
            email = html.escape(demo_email(role, slug), quote=True)
            options.append(f'<option value="{email}">{role.value} @ {slug} ({email})</option>')
    password = html.escape(DEMO_PASSWORD, quote=True)
    return (
        f'<label>Demo <select id="ll-demo" data-password="{password}">'
        + "".join(options)
        + "</select></label>"
    )


def graphiql_html(nonce: str, *, demo: bool = False) -> str:
    """The full page; the nonce goes into a meta tag where the page script reads it."""
    return _PAGE.format(
        nonce=html.escape(nonce, quote=True),
        assets=_ASSETS,
        starter=html.escape(STARTER_QUERY, quote=True),
        demo=demo_picker() if demo else "",
    )


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


def graphiql_response(*, demo: bool = False) -> HTMLResponse:
    """The page with its own CSP; `no-store` because every response has a new nonce.
    `demo`: name the demo logins (development only, where `seed-demo` made them)."""
    nonce = new_nonce()
    return HTMLResponse(
        graphiql_html(nonce, demo=demo),
        headers={
            "Content-Security-Policy": graphiql_csp(nonce),
            "Cache-Control": "no-store",
        },
    )
