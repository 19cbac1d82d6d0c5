"""Oversized bodies get a 413 before the app reads anything, and are never buffered."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.body_limit import BodySizeLimitMiddleware

CAP = 1024
REFUSAL = {
    "errors": [{"message": "Request body too large", "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]
}

SEEN: list[int] = []


async def echo(request: Request) -> Response:
    body = await request.body()
    SEEN.append(len(body))
    return JSONResponse({"length": len(body)})


APP = BodySizeLimitMiddleware(
    Starlette(routes=[Route("/graphql", echo, methods=["GET", "POST"])]), CAP
)


@pytest.fixture(autouse=True)
def _reset_seen() -> None:
    SEEN.clear()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=APP)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/json"
    assert response.json() == REFUSAL
    assert SEEN == []  # the app never ran


async def chunks(size: int, count: int) -> AsyncIterator[bytes]:
    for _ in range(count):
        yield b"x" * size


async def test_small_body_reaches_the_app_whole(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", content=b'{"query": "{ a }"}')
    assert response.status_code == 200
    assert response.json() == {"length": 18}


async def test_body_exactly_at_the_cap_passes(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", content=b"x" * CAP)
    assert response.json() == {"length": CAP}


async def test_body_one_byte_over_the_cap_is_refused(client: httpx.AsyncClient) -> None:
    assert_refused(await client.post("/graphql", content=b"x" * (CAP + 1)))


async def test_declared_content_length_over_the_cap_is_refused_unread(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql", content=b"{}", headers={"content-length": str(10 * CAP)}
    )
    assert_refused(response)


async def test_streamed_body_over_the_cap_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", content=chunks(300, 10))
    assert "content-length" not in response.request.headers  # chunked upload
    assert_refused(response)


async def test_streamed_body_under_the_cap_reaches_the_app_whole(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/graphql", content=chunks(300, 3))
    assert response.json() == {"length": 900}


async def test_get_without_a_body_passes(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "{ a }"})
    assert response.json() == {"length": 0}


async def test_refusal_body_is_the_exact_graphql_error() -> None:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        raise AssertionError("the body must not be read")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "headers": [(b"content-length", b"999999")]}
    await APP(scope, receive, send)
    assert sent[0]["status"] == 413
    assert (b"content-type", b"application/json") in sent[0]["headers"]
    assert json.loads(sent[1]["body"]) == REFUSAL


async def test_endless_body_is_read_only_up_to_the_cap() -> None:
    """A client lying about (or omitting) its length costs at most cap + one chunk."""
    read = 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 100
        return {"type": "http.request", "body": b"x" * 100, "more_body": True}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "headers": [(b"content-length", b"10")]}
    await APP(scope, receive, send)
    assert sent[0]["status"] == 413
    assert read <= CAP + 100
    assert SEEN == []


async def test_non_http_scopes_pass_through() -> None:
    calls: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        calls.append(scope["type"])

    async def never() -> dict[str, Any]:
        raise AssertionError("not read")

    async def ignore(message: Any) -> None:
        return None

    await BodySizeLimitMiddleware(app, 0)({"type": "lifespan"}, never, ignore)
    await BodySizeLimitMiddleware(app, 0)({"type": "websocket"}, never, ignore)
    assert calls == ["lifespan", "websocket"]
