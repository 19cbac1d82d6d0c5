"""A bearer token's verification is remembered (auth/tokens.py); a credential's session
and its member's role are not (issue 13): they are read inside every request's
transaction, on PostgreSQL in the same statement as the tenant scope (migration 0019).
A removed member, a demoted one and a signed-out session count from the very next
request, for bearer tokens and session cookies, on both backends."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from auth.permissions import Role
from auth.sessions import (
    AuthenticationError,
    CookieCredential,
    open_session,
    revoke_session,
    verify_bearer,
)
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
KINDS = ["bearer", "cookie"]
REFUSED = "refused"


class Client:
    """Requests as the HTTP view makes them: a bearer token verified (or remembered)
    or a session cookie, the principal resolved inside the operation's transaction."""

    def __init__(self, services: Services, world: TenantWorld, seeded: Seeded) -> None:
        self.services = services
        self.world = world
        self.schema = build_schema(extensions=schema_extensions(services.settings))
        self.variables = {"id": encode_id("Contact", seeded.contact_id)}
        self.cookie_sessions: dict[str, uuid.UUID] = {}

    async def sign_in(self, kind: str, role: Role) -> tuple[uuid.UUID, str]:
        """A new member of `role`, signed in: (user id, access token or cookie secret)."""
        user = await add_member(self.services, self.world, role)
        if kind == "bearer":
            return user, await access_token(self.services, self.world.tenant_id, user, role)
        issued = await open_session(self.services, user, self.world.tenant_id, "cookie")
        self.cookie_sessions[issued.secret] = issued.session_id
        return user, issued.secret

    def session_of(self, kind: str, secret: str) -> uuid.UUID:
        if kind == "bearer":
            return verify_bearer(self.services, secret).session_id
        return self.cookie_sessions[secret]

    async def read(self, kind: str, secret: str) -> Any:
        """The whole answer, or REFUSED (401 for a token; like no cookie for a cookie)."""
        try:
            credential = (
                verify_bearer(self.services, secret)
                if kind == "bearer"
                else CookieCredential(secret)
            )
            ctx = RequestContext(services=self.services, principal=None, credential=credential)
            result = await execute_operation(self.schema, ctx, CONTACT, self.variables)
        except AuthenticationError:
            return REFUSED
        codes = [e.extensions.get("code") for e in result.errors or []]
        if codes == ["UNAUTHENTICATED"]:
            return REFUSED
        assert not codes, result.errors
        return {"data": result.data, "extensions": result.extensions}


async def as_owner(services: Services, world: TenantWorld, query: str, **variables: Any) -> None:
    result = await Runner(services)(world.principal(Role.OWNER), query, variables)
    assert result.errors is None, result.errors


@pytest.mark.parametrize("kind", KINDS)
async def test_a_removed_member_is_refused_on_the_very_next_request(
    kind: str, services: Services, tenant_a: TenantWorld, seeded_a: Seeded
) -> None:
    client = Client(services, tenant_a, seeded_a)
    user, secret = await client.sign_in(kind, Role.SALES)
    assert (await client.read(kind, secret))["data"]["contact"] is not None
    await as_owner(services, tenant_a, REMOVE, m=encode_id("Member", user))
    assert await client.read(kind, secret) == REFUSED


@pytest.mark.parametrize("kind", KINDS)
async def test_a_demoted_member_gets_the_new_roles_answers_at_once(
    kind: str, services: Services, tenant_a: TenantWorld, seeded_a: Seeded
) -> None:
    client = Client(services, tenant_a, seeded_a)
    user, secret = await client.sign_in(kind, Role.SALES)
    _, read_only = await client.sign_in(kind, Role.READ_ONLY)
    as_sales = await client.read(kind, secret)
    as_read_only = await client.read(kind, read_only)
    assert as_sales != as_read_only  # the roles answer differently here
    await as_owner(services, tenant_a, CHANGE, m=encode_id("Member", user), r="READ_ONLY")
    assert await client.read(kind, secret) == as_read_only


@pytest.mark.parametrize("kind", KINDS)
async def test_a_signed_out_session_is_refused_on_the_very_next_request(
    kind: str, services: Services, tenant_a: TenantWorld, seeded_a: Seeded
) -> None:
    """For a token, though its verification is remembered."""
    client = Client(services, tenant_a, seeded_a)
    user, secret = await client.sign_in(kind, Role.SALES)
    assert (await client.read(kind, secret))["data"]["contact"] is not None
    await revoke_session(services, client.session_of(kind, secret), user)
    assert await client.read(kind, secret) == REFUSED
