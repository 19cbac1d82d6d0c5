"""Unexpected errors are masked (policy section 8): through the real ASGI app, a crash in a
resolver reaches the client as "Unexpected error." with INTERNAL_SERVER_ERROR and the
request id (equal to the `X-Request-ID` header), and the detail only reaches the server
log. Expected errors (BAD_USER_INPUT, NOT_FOUND...) keep their message and code.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

import resolvers.contacts
import schema.types.contacts as contact_types
from auth.accounts import add_membership, create_tenant, create_user
from auth.permissions import Role
from auth.principal import Principal
from auth.sessions import issue_access_token, open_session
from core.services import Services
from core.settings import Settings
from resolvers.global_ids import encode_id
from server.app import create_app
from tests.support.world import PASSWORD, TenantWorld

SECRET = "secret internal detail"
LIST = "{ contacts(first: 5) { totalCount nodes { id } } }"
JSON = {"content-type": "application/json", "accept": "application/graphql-response+json"}


@dataclass
class Api:
    app: Starlette
    client: httpx.AsyncClient
    token: str
    world: TenantWorld

    async def post(
        self, query: str, variables: dict | None = None, *, auth: bool = True, **headers: str
    ) -> httpx.Response:
        sent = dict(JSON, **headers)
        if auth:
            sent["authorization"] = f"Bearer {self.token}"
        return await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=sent
        )


async def bearer_token(app: Starlette, world: TenantWorld, role: Role) -> str:
    services = app.state.services
    user_id = world.users[role]
    issued = await open_session(services, user_id, world.tenant_id, "refresh")
    principal = Principal.for_role(user_id, world.tenant_id, role, "bearer", issued.session_id)
    return issue_access_token(services, principal)


async def owner_world(services: Services, name: str) -> TenantWorld:
    """A tenant with its owner alone (one password hash, not one per role)."""
    async with services.db.session(None) as session:
        tenant = await create_tenant(services, session, name, "eu")
        email = f"owner.{uuid.uuid4().hex[:8]}@{tenant.slug}.example"
        user = await create_user(services, session, email, "Owner", PASSWORD, 1980)
        await add_membership(session, tenant.id, user.id, Role.OWNER)
        await session.commit()
    return TenantWorld(tenant.id, {Role.OWNER: user.id})


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[Api]:
    app = create_app(settings, migrate=False)
    async with app.router.lifespan_context(app):
        world = await owner_world(app.state.services, "Acme Corp")
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Api(app, client, await bearer_token(app, world, Role.OWNER), world)


async def explode_async(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError(SECRET)


def assert_masked(response: httpx.Response) -> dict:
    assert SECRET not in response.text
    assert "RuntimeError" not in response.text
    assert "Traceback" not in response.text
    assert ".py" not in response.text
    body = response.json()
    assert body["errors"], body
    error = body["errors"][0]
    assert error["message"] == "Unexpected error."
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    assert set(error["extensions"]) == {"code", "requestId"}
    return error


async def test_a_crash_in_a_resolver_is_masked_with_the_request_id(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    control = await api.post(LIST)
    assert control.status_code == 200 and "errors" not in control.json(), control.text

    monkeypatch.setattr(resolvers.contacts, "list_contacts", explode_async)
    with caplog.at_level(logging.ERROR, logger="ledgerline.errors"):
        response = await api.post(LIST)
    error = assert_masked(response)
    assert re.fullmatch(r"[0-9a-f]{32}", error["extensions"]["requestId"])
    assert error["path"] == ["contacts"]
    assert response.json().get("data") is None  # contacts is non-null: data is null

    # The server log has the detail, quoted with the same request id.
    logged = [r for r in caplog.records if r.name == "ledgerline.errors"]
    assert logged, "the unexpected error was not logged"
    record = logged[-1]
    assert error["extensions"]["requestId"] in record.getMessage()
    assert record.exc_info is not None and SECRET in str(record.exc_info[1])


async def test_the_request_id_echoes_a_well_formed_incoming_x_request_id(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resolvers.contacts, "list_contacts", explode_async)
    response = await api.post(LIST, **{"x-request-id": "edge-4242-abcd"})
    assert response.headers["x-request-id"] == "edge-4242-abcd"
    assert assert_masked(response)["extensions"]["requestId"] == "edge-4242-abcd"


async def test_each_request_gets_its_own_request_id(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resolvers.contacts, "list_contacts", explode_async)
    first = assert_masked(await api.post(LIST))["extensions"]["requestId"]
    second = assert_masked(await api.post(LIST))["extensions"]["requestId"]
    assert first != second


def explode_loader(_ctx: Any, _args: Any) -> Any:
    raise RuntimeError(SECRET)


async def test_a_crash_in_a_nested_resolver_is_masked_and_the_rest_kept(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = await api.post(
        'mutation { createContact(input: {firstName: "Ada"}) { contact { id } } }'
    )
    assert "errors" not in created.json(), created.text
    # The relation's loader fails (keyed by the contact's own id so it is always called).
    monkeypatch.setattr(contact_types.COMPANY, "key", "id")
    monkeypatch.setattr(contact_types.COMPANY, "loader", explode_loader)
    response = await api.post(
        "{ contacts(first: 5) { totalCount nodes { firstName company { id } } } }"
    )
    error = assert_masked(response)
    assert error["path"] == ["contacts", "nodes", 0, "company"]
    data = response.json()["data"]["contacts"]
    assert data["totalCount"] == 1
    assert data["nodes"] == [{"firstName": "Ada", "company": None}]


async def test_a_crash_in_a_mutation_is_masked_and_writes_nothing(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resolvers.contacts, "append_consent", explode_async)
    response = await api.post(
        'mutation($c: [ConsentInput!]) { createContact(input: {firstName: "Eve"}, '
        "consents: $c) { contact { id } } }",
        {"c": [{"purpose": "SALES", "granted": True, "source": "form", "evidence": "e1"}]},
    )
    assert_masked(response)
    monkeypatch.undo()
    listed = await api.post(LIST)
    assert listed.json()["data"]["contacts"]["totalCount"] == 0, listed.text


async def test_bad_user_input_keeps_its_message_and_code(api: Api) -> None:
    response = await api.post(
        'mutation { createContact(input: {email: "not-an-email"}) { contact { id } } }'
    )
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"].startswith("Invalid email address")
    assert error["extensions"]["field"] == "email"
    assert "requestId" not in error["extensions"]


async def test_page_size_refusal_keeps_its_message(api: Api) -> None:
    response = await api.post("{ contacts(first: 101) { nodes { id } } }")
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert "100" in error["message"]


async def test_limit_refusals_keep_their_message_and_code(api: Api) -> None:
    response = await api.post("{ contacts(first: 100000) { nodes { id } } }")
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY", error
    assert "cost" in error["message"]


async def test_not_found_keeps_its_message_and_code(api: Api) -> None:
    missing = encode_id("Contact", uuid.uuid4())
    response = await api.post("query($id: ID!) { contact(id: $id) { id } }", {"id": missing})
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["message"] == "No contact with this id."


async def test_unauthenticated_calls_are_refused_with_their_code(api: Api) -> None:
    response = await api.post(LIST, auth=False)
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert error["message"] != "Unexpected error."


async def test_an_invalid_token_is_401_without_details(api: Api) -> None:
    response = await api.client.post(
        "/graphql", json={"query": LIST}, headers=dict(JSON, authorization="Bearer x.y.z")
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "Traceback" not in response.text


async def test_a_syntax_error_keeps_its_message(api: Api) -> None:
    response = await api.post("{ contacts(first: 5) { nodes { id }")
    error = response.json()["errors"][0]
    assert "Syntax Error" in error["message"]
    assert error["message"] != "Unexpected error."


@pytest.mark.parametrize("cause", ["cipher-crash", "shredded-tenant"])
async def test_a_crash_outside_the_resolvers_is_masked_with_the_request_id(
    api: Api, monkeypatch: pytest.MonkeyPatch, cause: str
) -> None:
    services = api.app.state.services
    if cause == "cipher-crash":
        monkeypatch.setattr(services.keyring, "cipher", explode_async)
    else:
        async with services.db.session(api.world.tenant_id) as session:
            await services.keyring.shred(session, api.world.tenant_id)
            await session.commit()
    response = await api.post(LIST)
    assert SECRET not in response.text  # holds today: nothing leaks, only the shape is wrong
    assert "KeyUnavailableError" not in response.text
    assert response.headers.get("x-content-type-options") == "nosniff"
    request_id = response.headers.get("x-request-id")
    assert request_id
    error = response.json()["errors"][0]
    assert error["extensions"]["code"]
    if cause == "cipher-crash":
        assert_masked(response)
    else:  # the tenant is gone: any clean refusal, as long as it quotes the request id
        assert error["extensions"].get("requestId", request_id) == request_id
