"""Operations basics (issue 14): liveness and readiness, and Prometheus metrics with
request counts and latency per operation, redactions by reason and rate-limit refusals,
never a variable value in a label."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from auth.permissions import Role
from core.services import Services
from core.settings import Settings
from server.app import create_app
from tests.support.world import Runner, TenantWorld

LOG_IN = "mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { ok } }"


async def client_for(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    limited = settings.model_copy(update={"rate_limit_auth": "1/minute"})
    async for c in client_for(create_app(limited, migrate=False)):
        yield c


async def samples(client: httpx.AsyncClient, name: str) -> dict[tuple[Any, ...], float]:
    """The samples of metric `name`, by their labels (sorted label items)."""
    text = (await client.get("/metrics")).text
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


async def test_healthz_answers_while_the_process_runs(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_is_ready_when_the_database_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok"}}


async def test_readyz_is_503_when_redis_does_not_answer(settings: Settings) -> None:
    unreachable = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    async for c in client_for(create_app(unreachable, migrate=False)):
        response = await c.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "redis": "unavailable"},
    }


async def test_readyz_is_503_when_the_database_does_not_answer(
    client: httpx.AsyncClient,
) -> None:
    db = client._transport.app.state.services.db  # type: ignore[attr-defined]

    class Unreachable:
        def connect(self) -> Any:
            raise OSError("connection refused")

    engine, db.engine = db.engine, Unreachable()
    try:
        response = await client.get("/readyz")
    finally:
        db.engine = engine
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "unavailable"}


async def test_metrics_count_each_operation_by_name_kind_and_outcome(
    client: httpx.AsyncClient,
) -> None:
    await client.post(
        "/graphql", json={"query": "query Ping { __typename }", "operationName": "Ping"}
    )
    counts = await samples(client, "ledgerline_graphql_requests_total")
    assert counts[(("kind", "query"), ("operation", "Ping"), ("outcome", "ok"))] == 1
    latency = await samples(client, "ledgerline_graphql_request_seconds_count")
    assert latency[(("kind", "query"), ("operation", "Ping"))] == 1


async def test_metrics_count_redactions_by_reason(
    settings: Settings, services: Services, tenant_a: TenantWorld
) -> None:
    app = create_app(settings, services=services, migrate=False)
    runner = Runner(services)
    await runner(
        tenant_a.principal(Role.SALES),
        'mutation { createContact(input: {firstName: "Ada"}) { contact { id } } }',
    )
    await runner(tenant_a.principal(Role.MARKETING), "{ contacts { nodes { firstName } } }")
    async for c in client_for(app):
        redactions = await samples(c, "ledgerline_redactions_total")
    assert redactions == {(("reason", "NO_CONSENT"),): 1.0}


async def test_metrics_count_sign_in_rate_limit_refusals(client: httpx.AsyncClient) -> None:
    body = {"query": LOG_IN, "variables": {"e": "nobody@example.com", "p": "wrong"}}
    for _ in range(2):
        await client.post("/graphql", json=body)
    refused = await samples(client, "ledgerline_rate_limited_total")
    assert refused == {(("limit", "sign_in"),): 1.0}


async def test_an_operation_name_that_is_not_a_graphql_name_is_no_label(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/graphql", json={"query": "{ __typename }", "operationName": "x' OR 1=1 --"})
    counts = await samples(client, "ledgerline_graphql_requests_total")
    assert all(dict(labels)["operation"] != "x' OR 1=1 --" for labels in counts)
