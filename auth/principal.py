"""Who is calling: the authenticated principal every request acts as.

Policy section 4: the tenant comes from here and nowhere else, never from arguments.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from auth.permissions import Permission, Role, grant_for
from privacy.purposes import Purpose


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    role: Role
    auth_method: str  # "cookie" | "bearer"
    session_id: uuid.UUID | None = None
    permissions: frozenset[Permission] = field(default=frozenset())
    purposes: tuple[Purpose, ...] = ()

    @classmethod
    def for_role(
        cls,
        user_id: uuid.UUID,
        tenant_id: uuid.UUID,
        role: Role,
        auth_method: str,
        session_id: uuid.UUID | None = None,
    ) -> Principal:
        grant = grant_for(role)
        return cls(
            user_id=user_id,
            tenant_id=tenant_id,
            role=role,
            auth_method=auth_method,
            session_id=session_id,
            permissions=grant.permissions,
            purposes=grant.purposes,
        )

    def has(self, permission: Permission) -> bool:
        return permission in self.permissions
