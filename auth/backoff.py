"""Login backoff after repeated failures (policy section 8, data security).

Why: password guessing must get slower with every failure, but the slowdown must not
tell an attacker whether an email belongs to an account. Counters are therefore keyed
only by (a keyed hash of) the normalised email string and by the client IP, never by
an account id; the caller records a failure for unknown emails exactly as for wrong
passwords, so both produce the same delay sequence and the same RATE_LIMITED answer.

Counts live in the same `limits` storage as the rate limiter (memory or Redis, see
`core.ratelimit.make_storage`), with expiry, so they are shared between processes
and nothing is kept forever. Neither emails nor IPs are stored in the clear.

Usage in the sign-in resolver::

    await backoff.check(email, ip)          # raises RateLimitExceeded while waiting
    if not credentials_ok:                  # unknown email counts as a failure too
        await backoff.record_failure(email, ip)
        raise invalid_credentials()
    await backoff.record_success(email, ip)
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time
import unicodedata
from dataclasses import dataclass

from limits.aio.storage import Storage
from limits.errors import StorageError

from core.ratelimit import RateLimitExceeded

__all__ = ["BackoffPolicy", "LoginBackoff", "normalise_email"]

logger = logging.getLogger(__name__)

DEFAULT_PEPPER = b"ledgerline/login-backoff/v1"


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    """How many failures are free, then how the delay grows (doubling, capped).

    `window_s` is how long a failure is remembered after the first one of a series.
    """

    free_failures: int = 3
    base_s: int = 1
    cap_s: int = 30
    window_s: int = 15 * 60

    def delay_after(self, failures: int) -> int:
        """Seconds to wait after `failures` consecutive failures (0 while still free)."""
        if failures <= self.free_failures:
            return 0
        exponent = min(failures - self.free_failures - 1, 32)
        return min(self.cap_s, self.base_s * (1 << exponent))


# A shared office or carrier NAT puts many honest users behind one address, so the
# per-IP policy tolerates many more failures before slowing down.
DEFAULT_EMAIL_POLICY = BackoffPolicy()
DEFAULT_IP_POLICY = BackoffPolicy(free_failures=20)


def normalise_email(email: str) -> str:
    """The form used for keys: NFKC, trimmed, case-folded (Bob@X and bob@x are one)."""
    return unicodedata.normalize("NFKC", email).strip().casefold()


class LoginBackoff:
    """Failure counters per email hash and per IP, with exponential backoff.

    `pepper` keys the hash of emails and IPs so the storage cannot be reversed with a
    dictionary of addresses; pass a deployment secret in production. When the storage
    fails the backoff fails open by default (logged), like the rate limiter.
    """

    def __init__(
        self,
        storage: Storage,
        *,
        email_policy: BackoffPolicy = DEFAULT_EMAIL_POLICY,
        ip_policy: BackoffPolicy = DEFAULT_IP_POLICY,
        pepper: bytes = DEFAULT_PEPPER,
        fail_open: bool = True,
    ) -> None:
        self.storage = storage
        self.email_policy = email_policy
        self.ip_policy = ip_policy
        self._pepper = pepper
        self.fail_open = fail_open

    def _subject(self, kind: str, value: str) -> str:
        mac = hmac.new(self._pepper, f"{kind}:{value}".encode(), hashlib.sha256)
        return f"backoff/{kind}/{mac.hexdigest()[:32]}"

    def _subjects(self, email: str, ip: str) -> list[tuple[str, BackoffPolicy]]:
        return [
            (self._subject("email", normalise_email(email)), self.email_policy),
            (self._subject("ip", ip.strip()), self.ip_policy),
        ]

    async def _remaining(self, subject: str, policy: BackoffPolicy) -> float:
        failures = await self.storage.get(f"{subject}/count")
        if policy.delay_after(failures) == 0:
            return 0.0
        lock = f"{subject}/lock/{failures}"
        if await self.storage.get(lock) <= 0:
            return 0.0
        return max(0.0, await self.storage.get_expiry(lock) - time.time())

    async def delay_for(self, email: str, ip: str) -> float:
        """Seconds the caller must still wait before trying this email from this IP."""
        try:
            delays = [await self._remaining(s, p) for s, p in self._subjects(email, ip)]
        except StorageError:
            if not self.fail_open:
                raise
            logger.warning("login backoff storage unavailable", exc_info=True)
            return 0.0
        return max(delays)

    async def check(self, email: str, ip: str) -> None:
        """Raise `RateLimitExceeded` while within a backoff window; same for any email."""
        delay = await self.delay_for(email, ip)
        if delay > 0:
            raise RateLimitExceeded(math.ceil(delay))

    async def record_failure(self, email: str, ip: str) -> None:
        """Count a failed sign-in (wrong password or unknown email alike)."""
        try:
            for subject, policy in self._subjects(email, ip):
                failures = await self.storage.incr(f"{subject}/count", policy.window_s)
                delay = policy.delay_after(failures)
                if delay > 0:
                    # One lock key per failure count: its expiry is fresh without a
                    # read-modify-write, so concurrent processes cannot shorten it.
                    await self.storage.incr(f"{subject}/lock/{failures}", delay)
        except StorageError:
            if not self.fail_open:
                raise
            logger.warning("login backoff storage unavailable", exc_info=True)

    async def record_success(self, email: str, ip: str) -> None:
        """Reset the email's counter after a successful sign-in.

        The IP counter is deliberately kept: otherwise an attacker owning one valid
        account could sign in to it between guesses and never slow down.
        """
        subject, _ = self._subjects(email, ip)[0]
        try:
            failures = await self.storage.get(f"{subject}/count")
            await self.storage.clear(f"{subject}/lock/{failures}")
            await self.storage.clear(f"{subject}/count")
        except StorageError:
            if not self.fail_open:
                raise
            logger.warning("login backoff storage unavailable", exc_info=True)
