"""Request rate limits over HTTP (policy section 8, data security): every request to
`/graphql` is counted per client address and, when a credential is presented, per
principal, and refused with 429 and `Retry-After`. The counters are core/ratelimit.py.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Awaitable, Callable, Collection, MutableMapping
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import cookie_parser

from core.ratelimit import (
    DEFAULT_AUTH_RATE,
    DEFAULT_RATE,
    RateDecision,
    RateLimiter,
    RateLimitExceeded,
    close_storage,
    digest,
    enforce,
    make_storage,
)

__all__ = [
    "DEFAULT_AUTH_RATE",
    "DEFAULT_RATE",
    "SESSION_COOKIE",
    "RateDecision",
    "RateLimitExceeded",
    "RateLimitMiddleware",
    "RateLimiter",
    "client_ip",
    "close_storage",
    "default_principal_key",
    "enforce",
    "make_storage",
    "rate_limited_body",
]

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
PrincipalKey = Callable[[Scope, Headers], str | None]

SESSION_COOKIE = "ll_session"


def rate_limited_body(retry_after_s: int) -> bytes:
    """The JSON body of a 429 answer, shaped like a GraphQL error response."""
    payload = {
        "errors": [
            {
                "message": RateLimitExceeded.message,
                "extensions": {"code": RateLimitExceeded.code, "retryAfter": retry_after_s},
            }
        ]
    }
    return json.dumps(payload, separators=(",", ":")).encode("utf-8")


def default_principal_key(scope: Scope, headers: Headers) -> str | None:
    """Identify the caller's credential without validating it: bearer token or session.

    Only a hash is returned; the credential itself is never stored. An invalid
    credential still gets its own bucket, which is harmless because the per-IP limit
    applies as well.
    """
    authorization = headers.get("authorization")
    if authorization:
        return "authz:" + digest(authorization)
    cookie = headers.get("cookie")
    if cookie:
        session = cookie_parser(cookie).get(SESSION_COOKIE)
        if session:
            return "session:" + digest(session)
    return None


def _normalise_ip(raw: str) -> str | None:
    """Canonical form of an address; IPv6 collapses to its /64, which one client owns."""
    try:
        address = ipaddress.ip_address(raw.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def client_ip(scope: Scope, headers: Headers, *, trust_forwarded: bool = False) -> str:
    """The client address used as rate-limit key.

    X-Forwarded-For is only read when `trust_forwarded` is set (a trusted reverse
    proxy in front), and then its right-most entry is used: that is the one our proxy
    appended, the ones to its left are client-controlled.
    """
    if trust_forwarded:
        forwarded = headers.get("x-forwarded-for")
        if forwarded:
            last = forwarded.split(",")[-1]
            ip = _normalise_ip(last)
            if ip is not None:
                return ip
    client = scope.get("client")
    if client:
        host = str(client[0])
        return _normalise_ip(host) or host
    return "unknown"


class RateLimitMiddleware:
    """Pure ASGI middleware limiting HTTP requests to the GraphQL path.

    It never reads the body (that is the GraphQL layer's job and would cost a copy);
    operation-specific limits such as the `auth` bucket are applied by resolvers via
    `enforce`. Refusals are answered with 429, `Retry-After` and a GraphQL-shaped body.
    """

    def __init__(
        self,
        app: ASGIApp,
        limiter: RateLimiter,
        *,
        paths: Collection[str] = ("/graphql",),
        trust_forwarded: bool = False,
        principal_key: PrincipalKey | None = default_principal_key,
        ip_bucket: str = "default",
        principal_bucket: str = "default",
        on_refused: Callable[[str], None] | None = None,
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.paths = frozenset(p for p in paths if not p.endswith("/"))
        self.prefixes = tuple(p for p in paths if p.endswith("/"))
        """A path ending in "/" limits everything under it (the export downloads)."""
        self.trust_forwarded = trust_forwarded
        self.principal_key = principal_key
        self.ip_bucket = ip_bucket
        self.principal_bucket = principal_bucket
        self.on_refused = on_refused
        limiter.item(ip_bucket)
        limiter.item(principal_bucket)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._limited(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        ip = client_ip(scope, headers, trust_forwarded=self.trust_forwarded)
        decision = await self.limiter.hit(self.ip_bucket, "ip:" + ip)
        if decision.allowed and self.principal_key is not None:
            principal = self.principal_key(scope, headers)
            if principal:
                decision = await self.limiter.hit(self.principal_bucket, "principal:" + principal)
        if not decision.allowed:
            if self.on_refused is not None:
                self.on_refused("http")
            await self._refuse(send, decision.retry_after_s)
            return
        await self.app(scope, receive, send)

    def _limited(self, path: str) -> bool:
        return path in self.paths or path.startswith(self.prefixes)

    @staticmethod
    async def _refuse(send: Send, retry_after_s: int) -> None:
        body = rate_limited_body(retry_after_s)
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode("ascii")),
                    (b"retry-after", str(retry_after_s).encode("ascii")),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
