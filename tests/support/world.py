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


async def signed_in(services: Services, world: TenantWorld, role: Role) -> Any:
    """The verified bearer claims of a real sign-in (a refresh-token session and its
    access token) of the member of `role`: the credential the HTTP view hands on."""
    from auth.sessions import issue_access_token, open_session, verify_bearer

    user = world.users[role]
    issued = await open_session(services, user, world.tenant_id, "refresh")
    principal = Principal.for_role(user, world.tenant_id, role, "bearer", issued.session_id)
    return verify_bearer(services, issue_access_token(services, principal))


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
