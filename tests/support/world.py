"""Test worlds: tenants with a member per role, and a way to run operations as one.

Real components throughout: a migrated SQLite file (or the real PostgreSQL), real
encryption keys, real principals; only the HTTP layer is skipped here (tests of the
HTTP layer use the ASGI app).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from auth.accounts import add_membership, create_tenant, create_user
from auth.permissions import Role
from auth.principal import Principal
from core.context import RequestContext
from core.services import Services
from schema.build import build_schema
from schema.extensions import schema_extensions
from server.execution import execute_operation

PASSWORD = "correct horse battery staple"


@dataclass
class TenantWorld:
    tenant_id: uuid.UUID
    users: dict[Role, uuid.UUID] = field(default_factory=dict)

    def principal(self, role: Role) -> Principal:
        return Principal.for_role(self.users[role], self.tenant_id, role, "bearer", uuid.uuid4())


async def access_token(
    services: Services, tenant_id: uuid.UUID, user_id: uuid.UUID, role: Role
) -> str:
    """The access token of a real sign-in (a refresh-token session) of a member."""
    from auth.sessions import issue_access_token, open_session

    issued = await open_session(services, user_id, tenant_id, "refresh")
    principal = Principal.for_role(user_id, tenant_id, role, "bearer", issued.session_id)
    return issue_access_token(services, principal)


async def add_member(services: Services, world: TenantWorld, role: Role) -> uuid.UUID:
    """A new member of `role` (a test that removes or demotes one leaves the world's
    own members alone: on PostgreSQL they outlive the test)."""
    async with services.db.session(world.tenant_id) as session:
        email = f"extra.{uuid.uuid4().hex[:8]}@example.net"
        user = await create_user(services, session, email, "extra member", PASSWORD, 1980)
        await add_membership(session, world.tenant_id, user.id, role)
        await session.commit()
    return user.id


async def make_tenant(services: Services, name: str, region: str = "eu") -> TenantWorld:
    async with services.db.session(None) as session:
        tenant = await create_tenant(services, session, name, region)
        world = TenantWorld(tenant.id)
        for role in Role:
            email = f"{role.value}.{uuid.uuid4().hex[:8]}@{tenant.slug}.example"
            user = await create_user(services, session, email, f"{role.value} user", PASSWORD, 1980)
            await add_membership(session, tenant.id, user.id, role)
            world.users[role] = user.id
        await session.commit()
    return world


class Runner:
    """Executes GraphQL operations as a principal, the way the HTTP view does."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.schema = build_schema(extensions=schema_extensions(services.settings))

    async def __call__(
        self, principal: Principal | None, query: str, variables: dict[str, Any] | None = None
    ) -> Any:
        ctx = RequestContext(services=self.services, principal=principal)
        result = await execute_operation(self.schema, ctx, query, variables)
        return result
