"""Request rate limits: the counters (policy section 8, data security).

Why: brute force, credential stuffing and scraping are the cheapest attacks on a
GraphQL endpoint. Named buckets of limits over one `limits` storage: `default` for every
request (counted by the HTTP middleware, server/ratelimit.py), `auth` (stricter) for
sign-in and sign-up, called from their resolvers through `enforce`.

Counts live in a `limits` storage: in-process memory for one server process, Redis
when several processes must share counts. Keys are hashed before they reach the
storage, so neither client addresses nor tokens are written to Redis in the clear.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import (
    MovingWindowRateLimiter,
    SlidingWindowCounterRateLimiter,
)
from limits.errors import StorageError

logger = logging.getLogger(__name__)

Strategy = Literal["sliding-window-counter", "moving-window"]

DEFAULT_RATE = "600/minute"
DEFAULT_AUTH_RATE = "10/minute"
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


def digest(value: str) -> str:
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
        hashed = digest(key)
        try:
            if await self._strategy.hit(item, bucket, hashed):
                return RateDecision(allowed=True)
            stats = await self._strategy.get_window_stats(item, bucket, hashed)
        except StorageError:
            logger.warning("rate limit storage unavailable (bucket=%s)", bucket, exc_info=True)
            if self.fail_open:
                return RateDecision(allowed=True)
            return RateDecision(allowed=False, retry_after_s=1)
        retry_after = math.ceil(stats.reset_time - time.time())
        return RateDecision(allowed=False, retry_after_s=max(1, retry_after))

    async def reset(self, bucket: str, key: str) -> None:
        """Forget the count of one key (e.g. for tests or an operator unblock)."""
        await self._strategy.clear(self.item(bucket), bucket, digest(key))


async def enforce(limiter: RateLimiter, bucket: str, key: str) -> None:
    """Hit `bucket` for `key` and raise `RateLimitExceeded` when refused.

    Used by the sign-in and sign-up resolvers with the client IP as key.
    """
    decision = await limiter.hit(bucket, key)
    if not decision.allowed:
        raise RateLimitExceeded(decision.retry_after_s)
