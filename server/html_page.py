"""The frame of the server-rendered pages (/privacy, the OAuth consent page): one
document shape with no request to another host, its one inline style allowed by a
per-response CSP nonce, and the CSP that says so."""

from __future__ import annotations

import html

_DOCUMENT = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<link rel="icon" href="data:,">
<style nonce="{nonce}">{style}</style>
</head>
<body>
<main>
{body}
</main>
</body>
</html>
"""


def html_document(title: str, nonce: str, style: str, body: str) -> str:
    """`body` is already escaped HTML; the title is escaped here."""
    return _DOCUMENT.format(
        title=html.escape(title), nonce=html.escape(nonce, quote=True), style=style, body=body
    )


def page_csp(nonce: str, form_action: str = "'none'") -> str:
    """Nothing but the page itself and its nonced style: no script, no other host;
    forms only to `form_action`."""
    return (
        "default-src 'none'; "
        f"style-src 'nonce-{nonce}'; "
        "img-src data:; "
        "base-uri 'none'; "
        f"form-action {form_action}; "
        "frame-ancestors 'none'"
    )
