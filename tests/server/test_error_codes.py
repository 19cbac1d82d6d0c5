"""The error contract: every error carries a stable `extensions.code`, including the
ones graphql-core makes itself (parse, validation, variable coercion), so clients
switch on the code, never on the message."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from server.app import create_app

QUERY_N = "query($n: Int!) { contacts(first: $n) { totalCount } }"
CASES = [
    ({"query": "{ me { email "}, "GRAPHQL_PARSE_FAILED"),
    ({"query": "{ nope }"}, "GRAPHQL_VALIDATION_FAILED"),
    ({"query": "query($unused: Int) { __typename }"}, "GRAPHQL_VALIDATION_FAILED"),
    ({"query": QUERY_N, "variables": {"n": "x"}}, "BAD_USER_INPUT"),
    ({"query": QUERY_N}, "BAD_USER_INPUT"),
    ({"query": "{ contacts(first: 1) { totalCount } }"}, "UNAUTHENTICATED"),
]


@pytest.fixture
async def client(settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, migrate=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


@pytest.mark.parametrize(("body", "code"), CASES, ids=[c for _, c in CASES])
async def test_every_error_carries_a_stable_code(
    client: httpx.AsyncClient, body: dict[str, Any], code: str
) -> None:
    response = await client.post("/graphql", json=body)
    errors = response.json()["errors"]
    assert [e["extensions"]["code"] for e in errors] == [code] * len(errors)
    assert errors


async def test_validation_codes_come_from_the_cache_alike(client: httpx.AsyncClient) -> None:
    """The validation cache keeps coded errors: the second answer equals the first."""
    first = (await client.post("/graphql", json={"query": "{ nope }"})).json()
    second = (await client.post("/graphql", json={"query": "{ nope }"})).json()
    assert first == second
    assert first["errors"][0]["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
