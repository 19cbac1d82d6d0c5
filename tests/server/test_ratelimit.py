"""Rate limits per IP and per principal (policy section 8, data security)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import redis.asyncio
import redis.exceptions
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.ratelimit import (
    RateLimiter,
    RateLimitExceeded,
    RateLimitMiddleware,
    close_storage,
    enforce,
    make_storage,
)

REDIS_URL = os.environ.get("LEDGERLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def graphql(request: Request) -> Response:
    return JSONResponse({"data": {"ok": True}})


async def health(request: Request) -> Response:
    return JSONResponse({"ok": True})


APP = Starlette(
    routes=[
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/health", health),
    ]
)


def limited_app(limiter: RateLimiter, **options: object) -> RateLimitMiddleware:
    return RateLimitMiddleware(APP, limiter, **options)  # type: ignore[arg-type]


def client_for(
    app: RateLimitMiddleware, ip: str = "198.51.100.7", headers: dict[str, str] | None = None
) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers)


async def post_n(client: httpx.AsyncClient, n: int) -> list[httpx.Response]:
    return [await client.post("/graphql", json={"query": "{ ok }"}) for _ in range(n)]


async def test_request_over_the_limit_gets_429_with_retry_after_and_code() -> None:
    app = limited_app(RateLimiter(make_storage(None), default="3/minute"))
    async with client_for(app) as client:
        allowed = await post_n(client, 3)
        refused = await client.post("/graphql", json={"query": "{ ok }"})

    assert [r.status_code for r in allowed] == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/json"
    retry_after = int(refused.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert refused.json() == {
        "errors": [
            {
                "message": "Too many requests",
                "extensions": {"code": "RATE_LIMITED", "retryAfter": retry_after},
            }
        ]
    }


async def test_two_ips_have_separate_counts() -> None:
    app = limited_app(RateLimiter(make_storage(None), default="2/minute"))
    async with client_for(app, ip="198.51.100.1") as first:
        assert [r.status_code for r in await post_n(first, 3)] == [200, 200, 429]
    async with client_for(app, ip="198.51.100.2") as second:
        assert [r.status_code for r in await post_n(second, 2)] == [200, 200]


async def test_two_principals_behind_one_ip_have_separate_principal_counts() -> None:
    limiter = RateLimiter(make_storage(None), default="2/minute", extra={"ip": "100/minute"})
    app = limited_app(limiter, ip_bucket="ip", principal_bucket="default")
    alice = {"Authorization": "Bearer token-of-alice"}
    bob = {"Cookie": "ll_session=session-of-bob"}
    async with client_for(app, headers=alice) as client:
        assert [r.status_code for r in await post_n(client, 3)] == [200, 200, 429]
    async with client_for(app, headers=bob) as client:
        assert [r.status_code for r in await post_n(client, 2)] == [200, 200]


async def test_paths_other_than_graphql_are_not_limited() -> None:
    app = limited_app(RateLimiter(make_storage(None), default="1/minute"))
    async with client_for(app) as client:
        statuses = [(await client.get("/health")).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]


async def test_a_path_ending_in_a_slash_limits_everything_under_it() -> None:
    app = limited_app(RateLimiter(make_storage(None), default="2/minute"), paths=("/health/",))
    async with client_for(app) as client:
        statuses = [(await client.get("/health/any/thing")).status_code for _ in range(3)]
    assert statuses == [404, 404, 429]


def test_export_downloads_are_rate_limited_like_the_api() -> None:
    from server.app import RATE_LIMITED_PATHS

    assert "/exports/" in RATE_LIMITED_PATHS


async def test_forwarded_for_is_ignored_unless_trusted() -> None:
    app = limited_app(RateLimiter(make_storage(None), default="1/minute"))
    async with client_for(app) as client:
        first = await client.post("/graphql", headers={"X-Forwarded-For": "203.0.113.1"})
        spoofed = await client.post("/graphql", headers={"X-Forwarded-For": "203.0.113.2"})
    assert (first.status_code, spoofed.status_code) == (200, 429)


async def test_forwarded_for_right_most_entry_is_used_when_trusted() -> None:
    app = limited_app(RateLimiter(make_storage(None), default="1/minute"), trust_forwarded=True)
    async with client_for(app, ip="10.0.0.1") as proxy:
        one = await proxy.post("/graphql", headers={"X-Forwarded-For": "1.1.1.1, 203.0.113.1"})
        two = await proxy.post("/graphql", headers={"X-Forwarded-For": "203.0.113.2"})
        spoof = await proxy.post("/graphql", headers={"X-Forwarded-For": "9.9.9.9, 203.0.113.1"})
    assert (one.status_code, two.status_code, spoof.status_code) == (200, 200, 429)


async def test_auth_bucket_is_stricter_and_enforce_raises_with_retry_after() -> None:
    limiter = RateLimiter(make_storage(None), default="100/minute", auth="2/minute")
    await enforce(limiter, "auth", "198.51.100.7")
    await enforce(limiter, "auth", "198.51.100.7")
    with pytest.raises(RateLimitExceeded) as excinfo:
        await enforce(limiter, "auth", "198.51.100.7")
    assert excinfo.value.retry_after_s >= 1
    assert excinfo.value.extensions == {
        "code": "RATE_LIMITED",
        "retryAfter": excinfo.value.retry_after_s,
    }
    assert (await limiter.hit("default", "198.51.100.7")).allowed


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    """The test Redis; skipped with a message when absent, but never skipped in CI."""
    client = redis.asyncio.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        await client.ping()
    except (redis.exceptions.RedisError, OSError) as exc:
        message = (
            f"Redis at {REDIS_URL} is unreachable ({type(exc).__name__}: {exc}); "
            "start Redis (or set LEDGERLINE_TEST_REDIS_URL) to run this test"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    finally:
        await client.aclose()
    yield REDIS_URL


async def test_redis_backend_shares_counts_between_two_limiters(redis_url: str) -> None:
    prefix = f"ledgerline-test:{uuid.uuid4().hex}"
    storages = [make_storage(redis_url, key_prefix=prefix) for _ in range(2)]
    first, second = (RateLimiter(s, default="3/minute") for s in storages)
    try:
        for limiter in (first, second, first):
            assert (await limiter.hit("default", "ip:198.51.100.7")).allowed
        refused = await second.hit("default", "ip:198.51.100.7")
        assert not refused.allowed
        assert refused.retry_after_s >= 1
    finally:
        await storages[0].reset()
        for storage in storages:
            await close_storage(storage)


async def test_redis_keys_do_not_contain_the_raw_client_address(redis_url: str) -> None:
    prefix = f"ledgerline-test:{uuid.uuid4().hex}"
    storage = make_storage(redis_url, key_prefix=prefix)
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        await RateLimiter(storage).hit("default", "ip:198.51.100.7")
        keys = [key.decode() async for key in client.scan_iter(match=f"{prefix}:*")]
        assert keys
        assert not any("198.51.100.7" in key for key in keys)
    finally:
        await storage.reset()
        await close_storage(storage)
        await client.aclose()
