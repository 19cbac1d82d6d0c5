"""A bearer token's verification is remembered (auth/tokens.py), its member's role and
its session are not (issue 13): they are read inside every request's transaction, on
PostgreSQL in the same statement as the tenant scope. A removed member, a demoted one
and a signed-out session count from the very next request, on both backends."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from auth.permissions import Role
from auth.sessions import AuthenticationError, revoke_session, verify_bearer
from core.context import RequestContext
from core.services import Services
from resolvers.global_ids import encode_id
from schema.build import build_schema
from schema.extensions import schema_extensions
from server.execution import execute_operation
from tests.isolation.conftest import Seeded
from tests.support.world import Runner, TenantWorld, access_token, add_member

CONTACT = "query($id: ID!) { contact(id: $id) { id firstName lastName email phone } }"
REMOVE = "mutation($m: ID!) { removeMember(member: $m) { deletedId } }"
CHANGE = "mutation($m: ID!, $r: Role!) { changeRole(member: $m, role: $r) { member { id } } }"


class Client:
    """Requests as the HTTP view makes them: the token verified (or remembered), the
    principal resolved inside the operation's transaction."""

    def __init__(self, services: Services, seeded: Seeded) -> None:
        self.services = services
        self.schema = build_schema(extensions=schema_extensions(services.settings))
        self.variables = {"id": encode_id("Contact", seeded.contact_id)}

    async def read(self, token: str) -> dict[str, Any]:
        ctx = RequestContext(
            services=self.services, principal=None, credential=verify_bearer(self.services, token)
        )
        result = await execute_operation(self.schema, ctx, CONTACT, self.variables)
        assert result.errors is None, result.errors
        return {"data": result.data, "extensions": result.extensions}


async def as_owner(services: Services, world: TenantWorld, query: str, **variables: Any) -> None:
    result = await Runner(services)(world.principal(Role.OWNER), query, variables)
    assert result.errors is None, result.errors


async def member_token(services: Services, world: TenantWorld, role: Role) -> tuple[uuid.UUID, str]:
    user = await add_member(services, world, role)
    return user, await access_token(services, world.tenant_id, user, role)


async def test_a_removed_member_is_refused_on_the_very_next_request(
    services: Services, tenant_a: TenantWorld, seeded_a: Seeded
) -> None:
    client = Client(services, seeded_a)
    user, token = await member_token(services, tenant_a, Role.SALES)
    assert (await client.read(token))["data"]["contact"] is not None
    await as_owner(services, tenant_a, REMOVE, m=encode_id("Member", user))
    with pytest.raises(AuthenticationError):
        await client.read(token)


async def test_a_demoted_member_gets_the_new_roles_answers_at_once(
    services: Services, tenant_a: TenantWorld, seeded_a: Seeded
) -> None:
    client = Client(services, seeded_a)
    user, token = await member_token(services, tenant_a, Role.SALES)
    _, read_only_token = await member_token(services, tenant_a, Role.READ_ONLY)
    as_sales = await client.read(token)
    as_read_only = await client.read(read_only_token)
    assert as_sales != as_read_only  # the roles answer differently here
    await as_owner(services, tenant_a, CHANGE, m=encode_id("Member", user), r="READ_ONLY")
    assert await client.read(token) == as_read_only


async def test_a_signed_out_session_is_refused_though_its_token_is_remembered(
    services: Services, tenant_a: TenantWorld, seeded_a: Seeded
) -> None:
    client = Client(services, seeded_a)
    user, token = await member_token(services, tenant_a, Role.SALES)
    await client.read(token)
    claims = verify_bearer(services, token)  # remembered: no signature check this time
    await revoke_session(services, claims.session_id, user)
    with pytest.raises(AuthenticationError):
        await client.read(token)
