"""The consent page of partner apps (issue 12, policy section 6): what an app asks to
do, for which purposes and with which kinds of personal data, in plain words generated
from the scope table and the data map (auth/scopes.py `reach`), and the operations the
app registered (trusted documents).

Like /privacy, the page makes no request to another host: one inline style allowed by
a per-response nonce, no script; every text is escaped. Its form may only post back
here, and the redirect that follows may only go to the app's registered redirect URI
(`form-action`). The form carries the session's CSRF token (auth/sessions.py).
"""

from __future__ import annotations

import html
import secrets

from starlette.responses import HTMLResponse

from auth.oauth.consent import ConsentView
from server.html_page import html_document, page_csp

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.5;color:#1b1b1b}h1{font-size:1.4rem}h2{font-size:1.05rem;margin-top:1.5rem}"
    "code{font-size:.8rem;word-break:break-all}.actions{display:flex;gap:1rem;margin-top:2rem}"
    "button{font-size:1rem;padding:.5rem 1.2rem}"
)


def _items(values: tuple[str, ...], css_id: str) -> str:
    e = html.escape
    return f'<ul id="{css_id}">' + "".join(f"<li>{e(v)}</li>" for v in values) + "</ul>"


def _body(view: ConsentView, csrf_token: str) -> str:
    e = html.escape
    parts = [
        f"<h1>Allow {e(view.app_name)} to use your organisation's data?</h1>",
        f"<p>App id <code>{e(view.client_id)}</code>. "
        + (
            "Approving installs it for your whole organisation; you can uninstall it at any "
            "time, which ends all of its access at once.</p>"
            if view.installs
            else "It is installed in your organisation; approving lets it act for you.</p>"
        ),
        "<h2>It will be able to</h2>",
        _items(view.reach.abilities, "abilities"),
        "<h2>For these purposes only</h2>",
        _items(view.reach.purposes, "purposes"),
        "<h2>With these kinds of personal data</h2>",
        _items(view.reach.categories or ("no personal data",), "categories"),
        "<p>Never more than your own role allows, and never a person's data that their "
        "consent or objection keeps from these purposes.</p>",
    ]
    if view.documents:
        parts.append("<h2>The operations it registered</h2>")
        parts.append(
            '<ul id="documents">'
            + "".join(f"<li>{e(name)} <code>{e(sha)}</code></li>" for name, sha in view.documents)
            + "</ul>"
        )
    parts.append('<form method="post" action="/oauth/authorize">')
    parts += [
        f'<input type="hidden" name="{e(k, quote=True)}" value="{e(v, quote=True)}">'
        for k, v in view.params
    ]
    parts.append(f'<input type="hidden" name="csrf_token" value="{e(csrf_token, quote=True)}">')
    if view.installs and view.documents:
        parts.append(
            '<p><label><input type="checkbox" name="trusted_documents_only" value="1"> '
            "Allow only the operations listed above</label></p>"
        )
    parts.append(
        '<div class="actions"><button type="submit" name="decision" value="approve">Approve'
        '</button><button type="submit" name="decision" value="deny">Deny</button></div>'
    )
    parts.append("</form>")
    return "\n".join(parts)


def consent_response(view: ConsentView, csrf_token: str) -> HTMLResponse:
    nonce = secrets.token_urlsafe(18)
    page = html_document(f"Allow {view.app_name}?", nonce, _STYLE, _body(view, csrf_token))
    return HTMLResponse(
        page,
        headers={
            "Content-Security-Policy": page_csp(nonce, f"'self' {view.redirect_origin}"),
            "Cache-Control": "no-store",
        },
    )


def message_response(title: str, text: str, status: int) -> HTMLResponse:
    """A page that only explains (sign in first, an invalid request)."""
    nonce = secrets.token_urlsafe(18)
    body = f"<h1>{html.escape(title)}</h1>\n<p>{html.escape(text)}</p>"
    return HTMLResponse(
        html_document(title, nonce, _STYLE, body),
        status_code=status,
        headers={"Content-Security-Policy": page_csp(nonce), "Cache-Control": "no-store"},
    )
