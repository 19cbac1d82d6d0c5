"""Request rate limits per client IP and per principal (policy section 8, data security).

Why: brute force, credential stuffing and scraping are the cheapest attacks on a
GraphQL endpoint, so every request to `/graphql` is counted per client address and,
when a credential is presented, per principal. Sign-in and sign-up additionally pass
through the stricter `auth` bucket, called from their resolvers via `enforce`.

Counts live in a `limits` storage: in-process memory for one server process, Redis
when several processes must share counts. Keys are hashed before they reach the
storage, so neither client addresses nor tokens are written to Redis in the clear.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Literal

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import (
    MovingWindowRateLimiter,
    SlidingWindowCounterRateLimiter,
)
from limits.errors import StorageError
from starlette.datastructures import Headers
from starlette.requests import cookie_parser

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
Strategy = Literal["sliding-window-counter", "moving-window"]

DEFAULT_RATE = "600/minute"
DEFAULT_AUTH_RATE = "10/minute"
SESSION_COOKIE = "ll_session"
DEFAULT_KEY_PREFIX = "ledgerline:rl"
_KEY_DIGEST_CHARS = 32


def make_storage(redis_url: str | None, *, key_prefix: str = DEFAULT_KEY_PREFIX) -> Storage:
    """In-memory storage by default; Redis when a URL is given so processes share counts.

    Accepts plain `redis://`, `rediss://` and `unix://` URLs as well as the `limits`
    spelling `async+redis://`. Storage errors are wrapped in `limits.errors.StorageError`
    so callers can decide how to degrade.
    """
    if not redis_url:
        return MemoryStorage()
    uri = redis_url
    if uri.startswith("unix://"):
        uri = "async+redis+unix://" + uri.removeprefix("unix://")
    elif not uri.startswith("async+"):
        uri = "async+" + uri
    return RedisStorage(uri, implementation="redispy", key_prefix=key_prefix, wrap_exceptions=True)


async def close_storage(storage: Storage) -> None:
    """Close the Redis connection pool behind a storage (no-op for memory).

    Call it on application shutdown so no sockets outlive the event loop.
    """
    bridge = getattr(storage, "bridge", None)
    client = getattr(bridge, "storage", None)
    aclose = getattr(client, "aclose", None)
    if aclose is not None:
        await aclose()


def _digest(value: str) -> str:
    """Hash a key so raw IPs, tokens and cookies never reach the storage."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:_KEY_DIGEST_CHARS]


@dataclass(frozen=True, slots=True)
class RateDecision:
    """Outcome of one hit: whether it is allowed and, if not, when to come back."""

    allowed: bool
    retry_after_s: int = 0


class RateLimitExceeded(Exception):
    """Raised by `enforce` (and the login backoff); maps to HTTP 429 / code RATE_LIMITED.

    The message is the same for every cause so it reveals nothing about accounts.
    """

    code = "RATE_LIMITED"
    message = "Too many requests"

    def __init__(self, retry_after_s: int) -> None:
        self.retry_after_s = max(1, int(retry_after_s))
        super().__init__(f"{self.message}; retry after {self.retry_after_s}s")

    @property
    def extensions(self) -> dict[str, Any]:
        """GraphQL error extensions, identical to the middleware's 429 body."""
        return {"code": self.code, "retryAfter": self.retry_after_s}


class RateLimiter:
    """Named buckets of rate limits over one `limits` storage.

    `default` guards every API request, `auth` (stricter) guards sign-in and sign-up.
    Extra buckets can be added with `extra`. When the storage fails (Redis down) the
    limiter fails open by default, logging a warning, so an outage of the counter
    store does not take the API down; set `fail_open=False` to refuse instead.
    """

    def __init__(
        self,
        storage: Storage,
        *,
        default: str = DEFAULT_RATE,
        auth: str = DEFAULT_AUTH_RATE,
        extra: Mapping[str, str] | None = None,
        strategy: Strategy = "sliding-window-counter",
        fail_open: bool = True,
    ) -> None:
        self.storage = storage
        rates = {"default": default, "auth": auth, **(extra or {})}
        self.items: dict[str, RateLimitItem] = {
            bucket: parse(rate) for bucket, rate in rates.items()
        }
        strategy_cls = {
            "sliding-window-counter": SlidingWindowCounterRateLimiter,
            "moving-window": MovingWindowRateLimiter,
        }[strategy]
        self._strategy = strategy_cls(storage)
        self.fail_open = fail_open

    def item(self, bucket: str) -> RateLimitItem:
        """The configured limit of a bucket; unknown buckets are a programming error."""
        try:
            return self.items[bucket]
        except KeyError:
            raise KeyError(f"unknown rate limit bucket {bucket!r}") from None

    async def hit(self, bucket: str, key: str) -> RateDecision:
        """Count one request for `key` in `bucket`; refused hits are not counted."""
        item = self.item(bucket)
        digest = _digest(key)
        try:
            if await self._strategy.hit(item, bucket, digest):
                return RateDecision(allowed=True)
            stats = await self._strategy.get_window_stats(item, bucket, digest)
        except StorageError:
            logger.warning("rate limit storage unavailable (bucket=%s)", bucket, exc_info=True)
            if self.fail_open:
                return RateDecision(allowed=True)
            return RateDecision(allowed=False, retry_after_s=1)
        retry_after = math.ceil(stats.reset_time - time.time())
        return RateDecision(allowed=False, retry_after_s=max(1, retry_after))

    async def reset(self, bucket: str, key: str) -> None:
        """Forget the count of one key (e.g. for tests or an operator unblock)."""
        await self._strategy.clear(self.item(bucket), bucket, _digest(key))


async def enforce(limiter: RateLimiter, bucket: str, key: str) -> None:
    """Hit `bucket` for `key` and raise `RateLimitExceeded` when refused.

    Used by the sign-in and sign-up resolvers with the client IP as key.
    """
    decision = await limiter.hit(bucket, key)
    if not decision.allowed:
        raise RateLimitExceeded(decision.retry_after_s)


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
        return "authz:" + _digest(authorization)
    cookie = headers.get("cookie")
    if cookie:
        session = cookie_parser(cookie).get(SESSION_COOKIE)
        if session:
            return "session:" + _digest(session)
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
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.paths = frozenset(paths)
        self.trust_forwarded = trust_forwarded
        self.principal_key = principal_key
        self.ip_bucket = ip_bucket
        self.principal_bucket = principal_bucket
        limiter.item(ip_bucket)
        limiter.item(principal_bucket)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") not in self.paths:
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
            await self._refuse(send, decision.retry_after_s)
            return
        await self.app(scope, receive, send)

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
