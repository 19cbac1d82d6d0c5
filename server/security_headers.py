"""Security response headers and request ids (policy section 8, data security).

Why: the API only ever returns JSON, so browsers are told to render nothing, frame
nothing, leak no referrer and share no window or resource with other origins. A
response that needs something else (the GraphiQL page sets its own CSP) keeps the
headers it set itself. Every request also gets an `X-Request-ID`, placed in
`scope["state"]["request_id"]` before the app runs so logs and errors can quote it
without quoting any personal data.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.datastructures import Headers

from server.json_logs import REQUEST_ID

__all__ = ["API_HEADERS", "HSTS_VALUE", "SecurityHeadersMiddleware", "request_id_for"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

API_HEADERS: tuple[tuple[str, str], ...] = (
    ("content-security-policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=()"),
)
HSTS_VALUE = "max-age=63072000; includeSubDomains"
REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID_RE = re.compile(r"[A-Za-z0-9-]{1,64}")


def request_id_for(scope: Scope) -> str:
    """A well-formed incoming X-Request-ID (to correlate with a proxy) or a fresh one.

    Anything else is replaced, so a client cannot inject text into our logs.
    """
    incoming = Headers(scope=scope).get(REQUEST_ID_HEADER)
    if incoming is not None and _REQUEST_ID_RE.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class SecurityHeadersMiddleware:
    """Pure ASGI middleware adding the headers to every HTTP response it sees.

    HSTS is sent when `hsts=True` (TLS terminated by a proxy) or the request itself
    came over https; never over plain http otherwise, where it would be ignored and
    would break local development if cached.
    """

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_for(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        extra: list[tuple[str, str]] = [*API_HEADERS, (REQUEST_ID_HEADER, request_id)]
        if self.hsts or scope.get("scheme") == "https":
            extra.append(("strict-transport-security", HSTS_VALUE))
        encoded = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in extra]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {bytes(name).lower() for name, _ in headers}
                headers.extend((name, value) for name, value in encoded if name not in present)
                message["headers"] = headers
            await send(message)

        token = REQUEST_ID.set(request_id)  # log lines of this request quote it
        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            REQUEST_ID.reset(token)
