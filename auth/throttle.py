"""The stricter `auth` rate-limit bucket, per client IP, in front of the operations
that anyone may call without signing in (sign-up, log-in, accepting an invitation)."""

from __future__ import annotations

from core.errors import AppError, Code
from core.ratelimit import RateLimitExceeded, enforce
from core.services import Services


def rate_limited(exc: RateLimitExceeded) -> AppError:
    return AppError(
        Code.RATE_LIMITED,
        f"Too many attempts. Try again in {exc.retry_after_s} seconds.",
        retryAfter=exc.retry_after_s,
    )


async def limit_auth(services: Services, client_ip: str | None) -> None:
    """One hit in the `auth` bucket of `client_ip` (skipped when no limiter is wired)."""
    limiter = services.extras.get("rate_limiter")
    if limiter is None:
        return
    try:
        await enforce(limiter, "auth", f"ip:{client_ip or 'unknown'}")
    except RateLimitExceeded as exc:
        raise rate_limited(exc) from exc
