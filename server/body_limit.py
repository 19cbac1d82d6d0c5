"""Refuse oversized request bodies before the app reads or parses any of them.

A pure ASGI middleware (no `BaseHTTPMiddleware`, which would buffer and wrap the
request). It answers 413 with a GraphQL-shaped JSON error when `Content-Length` is
over the cap, without reading the body, and otherwise reads the body itself, keeping
at most the cap, before handing it to the app. So the app never sees a partial body,
and the refusal is a clean response rather than an exception halfway through
`await request.body()`. Chunked uploads (no `Content-Length`) are counted the same.

Only HTTP is limited; WebSocket message size is the server's setting
(uvicorn `--ws-max-size`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

__all__ = ["PAYLOAD_TOO_LARGE_BODY", "BodySizeLimitMiddleware"]

PAYLOAD_TOO_LARGE_BODY = orjson.dumps(
    {"errors": [{"message": "Request body too large", "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]}
)


def _declared_length(scope: Scope) -> int | None:
    """The largest `Content-Length` sent, or None when absent or unreadable.

    An unreadable header is not trusted either way: the body is then counted.
    """
    declared: int | None = None
    for name, value in scope.get("headers") or ():
        if name.lower() == b"content-length":
            try:
                length = int(value)
            except ValueError:
                continue
            declared = length if declared is None else max(declared, length)
    return declared


class BodySizeLimitMiddleware:
    """413 for HTTP requests whose body is, or claims to be, over `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError("max_bytes must not be negative")
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(send)
            return

        # Read the whole body first, but never keep more than the cap: the first chunk
        # that goes over it ends the request. A disconnect ends it too (no one to answer).
        messages: list[Message] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                await self._refuse(send)
                return
            messages.append(message)
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            # The buffered body first, then the real channel (for `http.disconnect`).
            if messages:
                return messages.pop(0)
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(PAYLOAD_TOO_LARGE_BODY)).encode()),
                    # The rest of the body is never read, so the connection cannot be
                    # reused for another request.
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": PAYLOAD_TOO_LARGE_BODY})
