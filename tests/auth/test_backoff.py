"""Login backoff without account enumeration (policy section 8, data security)."""

from __future__ import annotations

import math

import pytest
from limits.aio.storage import MemoryStorage

from auth.backoff import BackoffPolicy, LoginBackoff
from core.ratelimit import RateLimitExceeded

IP = "198.51.100.7"
KNOWN = {"alice@example.com": "correct horse battery staple"}


def make_backoff(**options: object) -> LoginBackoff:
    return LoginBackoff(MemoryStorage(), **options)  # type: ignore[arg-type]


async def fail(backoff: LoginBackoff, email: str, times: int, ip: str = IP) -> None:
    for _ in range(times):
        await backoff.record_failure(email, ip)


async def sign_in(backoff: LoginBackoff, email: str, password: str) -> bool:
    """What the resolver does: unknown emails record a failure exactly like wrong passwords."""
    await backoff.check(email, IP)
    if KNOWN.get(email) != password:
        await backoff.record_failure(email, IP)
        return False
    await backoff.record_success(email, IP)
    return True


async def test_no_delay_for_the_first_failures() -> None:
    backoff = make_backoff()
    await fail(backoff, "alice@example.com", 3)
    assert await backoff.delay_for("alice@example.com", IP) == 0
    await backoff.check("alice@example.com", IP)


async def test_delay_grows_after_the_free_failures() -> None:
    backoff = make_backoff()
    delays = []
    for _ in range(6):
        await fail(backoff, "alice@example.com", 1)
        delays.append(await backoff.delay_for("alice@example.com", IP))
    expected = [0, 0, 0, 1, 2, 4]
    assert delays == [pytest.approx(d, abs=0.5) for d in expected]


def test_delay_is_capped() -> None:
    policy = BackoffPolicy(free_failures=3, base_s=1, cap_s=30)
    assert [policy.delay_after(n) for n in (4, 8, 9, 10, 1000)] == [1, 16, 30, 30, 30]


async def test_check_raises_rate_limited_within_the_backoff_window() -> None:
    backoff = make_backoff()
    await fail(backoff, "alice@example.com", 5)
    with pytest.raises(RateLimitExceeded) as excinfo:
        await backoff.check("alice@example.com", IP)
    assert excinfo.value.retry_after_s == 2
    assert excinfo.value.extensions == {"code": "RATE_LIMITED", "retryAfter": 2}


async def test_unknown_and_known_email_get_the_same_delay_sequence() -> None:
    async def attempts(email: str) -> list[tuple[int, str | None]]:
        backoff = make_backoff()
        outcomes: list[tuple[int, str | None]] = []
        for _ in range(7):
            try:
                await sign_in(backoff, email, "wrong password")
                code = None
            except RateLimitExceeded as exc:
                code = str(exc)
                await fail(backoff, email, 1)  # keep the sequence moving without sleeping
            outcomes.append((math.ceil(await backoff.delay_for(email, IP)), code))
        return outcomes

    known = await attempts("alice@example.com")
    unknown = await attempts("nobody@example.com")
    assert known == unknown
    assert known[-1][0] > 0


async def test_success_resets_the_email_counter() -> None:
    backoff = make_backoff()
    await fail(backoff, "alice@example.com", 5)
    await backoff.record_success("alice@example.com", IP)
    assert await backoff.delay_for("alice@example.com", IP) == 0
    await fail(backoff, "alice@example.com", 3)
    assert await backoff.delay_for("alice@example.com", IP) == 0


async def test_success_does_not_reset_the_ip_counter() -> None:
    backoff = make_backoff(ip_policy=BackoffPolicy(free_failures=2))
    await fail(backoff, "victim@example.com", 3)
    await backoff.record_success("attacker@example.com", IP)
    assert await backoff.delay_for("someone-else@example.com", IP) > 0


async def test_email_backoff_applies_from_any_ip() -> None:
    backoff = make_backoff()
    for n in range(4):
        await backoff.record_failure("alice@example.com", f"203.0.113.{n}")
    assert await backoff.delay_for("alice@example.com", "192.0.2.99") > 0


async def test_ip_backoff_applies_to_any_email() -> None:
    backoff = make_backoff(ip_policy=BackoffPolicy(free_failures=2))
    for n in range(3):
        await backoff.record_failure(f"user{n}@example.com", IP)
    assert await backoff.delay_for("fresh@example.com", IP) > 0
    assert await backoff.delay_for("fresh@example.com", "192.0.2.99") == 0


async def test_email_is_normalised_before_counting() -> None:
    backoff = make_backoff()
    await fail(backoff, " Alice@Example.COM", 4)
    assert await backoff.delay_for("alice@example.com", "192.0.2.99") > 0


async def test_storage_holds_neither_the_email_nor_the_ip() -> None:
    storage = MemoryStorage()
    backoff = LoginBackoff(storage)
    await fail(backoff, "alice@example.com", 5)
    keys = " ".join(storage.storage)
    assert keys
    assert "alice" not in keys
    assert IP not in keys
