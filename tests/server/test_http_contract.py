"""The error and HTTP contract clients rely on (issue 14): GraphQL over HTTP's media
types and status codes, several operations without a name, the 401 challenge that
tells an expired token apart, `Allow` on 405 and the sign-in limit answered as 429."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from auth.tokens import AccessClaims
from core.settings import Settings
from server.app import create_app

GRAPHQL_RESPONSE = "application/graphql-response+json"
TWO_OPERATIONS = "query A { __typename } query B { me { email } }"
LOG_IN = "mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { ok } }"


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    limited = settings.model_copy(update={"rate_limit_auth": "2/minute"})
    app = create_app(limited, migrate=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            c.headers.pop("accept", None)
            yield c


async def post(
    client: httpx.AsyncClient, body: dict[str, Any], accept: str | None = GRAPHQL_RESPONSE
) -> httpx.Response:
    headers = {"accept": accept} if accept is not None else {}
    return await client.post("/graphql", json=body, headers=headers)


def bearer(client: httpx.AsyncClient, *, issued_at: float) -> str:
    app: Any = client._transport.app  # type: ignore[attr-defined]
    claims = AccessClaims(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), "admin")
    return str(app.state.services.tokens.issue(claims, now=issued_at))


async def test_several_operations_without_operation_name_are_refused(
    client: httpx.AsyncClient,
) -> None:
    response = await post(client, {"query": TWO_OPERATIONS})
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "message": "Must provide operation name if query contains multiple operations.",
                "extensions": {"code": "BAD_REQUEST"},
            }
        ]
    }


async def test_several_operations_run_the_one_the_client_names(
    client: httpx.AsyncClient,
) -> None:
    response = await post(client, {"query": TWO_OPERATIONS, "operationName": "A"})
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_accept_any_is_answered_with_application_json(client: httpx.AsyncClient) -> None:
    response = await post(client, {"query": "{ __typename }"}, accept="*/*")
    assert response.headers["content-type"] == "application/json"


async def test_a_missing_accept_header_is_answered_with_application_json(
    client: httpx.AsyncClient,
) -> None:
    response = await post(client, {"query": "{ __typename }"}, accept=None)
    assert "accept" not in response.request.headers
    assert response.headers["content-type"] == "application/json"


async def test_the_newer_media_type_is_answered_when_the_client_names_it(
    client: httpx.AsyncClient,
) -> None:
    response = await post(client, {"query": "{ __typename }"}, accept=f"{GRAPHQL_RESPONSE}, */*")
    assert response.headers["content-type"] == GRAPHQL_RESPONSE


async def test_a_parse_failure_has_no_data_entry_and_status_400(
    client: httpx.AsyncClient,
) -> None:
    response = await post(client, {"query": "{ me { email "})
    assert response.status_code == 400
    assert "data" not in response.json()


async def test_a_validation_failure_has_no_data_entry_and_status_400(
    client: httpx.AsyncClient,
) -> None:
    response = await post(client, {"query": "{ nope }"})
    assert response.status_code == 400
    assert "data" not in response.json()


async def test_an_expired_token_is_told_apart_in_www_authenticate(
    client: httpx.AsyncClient,
) -> None:
    token = bearer(client, issued_at=time.time() - 24 * 3600)
    response = await client.post(
        "/graphql",
        json={"query": "{ me { email } }"},
        headers={"authorization": f"Bearer {token}"},
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == (
        'Bearer error="invalid_token", error_description="expired"'
    )
    assert response.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


async def test_a_forged_token_is_invalid_without_saying_expired(
    client: httpx.AsyncClient,
) -> None:
    token = bearer(client, issued_at=time.time() - 24 * 3600)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = await client.post(
        "/graphql",
        json={"query": "{ me { email } }"},
        headers={"authorization": f"Bearer {forged}"},
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


async def test_a_mutation_over_get_is_405_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "mutation { logOut { ok } }"})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


async def test_an_unsupported_method_is_405_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.put("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


async def test_the_sign_in_rate_limit_answers_429_with_retry_after(
    client: httpx.AsyncClient,
) -> None:
    body = {"query": LOG_IN, "variables": {"e": "nobody@example.com", "p": "wrong"}}
    answers = [await post(client, body) for _ in range(3)]
    assert [a.status_code for a in answers[:2]] == [200, 200]
    refused = answers[2]
    assert refused.status_code == 429
    retry_after = refused.json()["errors"][0]["extensions"]["retryAfter"]
    assert refused.headers["retry-after"] == str(retry_after)
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
