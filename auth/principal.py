"""Who is calling: the authenticated principal every request acts as.

Policy section 4: the tenant comes from here and nowhere else, never from arguments.
Policy section 3: a request is processed under one declared purpose, the role's
default (the first of its purposes) or one the client declares that the role may act
under; `purposes` holds exactly that one, fixed for the whole request, so every
decision, filter and audit row uses it alone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from auth.permissions import Permission, Role, grant_for
from privacy.purposes import Purpose


class PurposeNotAllowed(Exception):
    """The request declares a purpose its caller's role may not act under."""

    def __init__(self, purpose: Purpose, role: Role) -> None:
        super().__init__(f"role {role.value} may not act under purpose {purpose.value}")
        self.purpose = purpose
        self.role = role


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    role: Role
    auth_method: str  # "cookie" | "bearer"
    session_id: uuid.UUID | None = None
    permissions: frozenset[Permission] = field(default=frozenset())
    purposes: tuple[Purpose, ...] = ()
    """The request's declared purpose (one), the only one its decisions use."""

    @classmethod
    def for_role(
        cls,
        user_id: uuid.UUID,
        tenant_id: uuid.UUID,
        role: Role,
        auth_method: str,
        session_id: uuid.UUID | None = None,
        *,
        purpose: Purpose | None = None,
    ) -> Principal:
        """`purpose`: the one the request declares; None for the role's default.
        Raises PurposeNotAllowed when the role may not act under it."""
        grant = grant_for(role)
        declared = grant.purposes[0] if purpose is None else purpose
        if declared not in grant.purposes:
            raise PurposeNotAllowed(declared, role)
        return cls(
            user_id=user_id,
            tenant_id=tenant_id,
            role=role,
            auth_method=auth_method,
            session_id=session_id,
            permissions=grant.permissions,
            purposes=(declared,),
        )

    @property
    def purpose(self) -> Purpose | None:
        """The request's declared purpose."""
        return self.purposes[0] if self.purposes else None

    @property
    def role_purposes(self) -> tuple[Purpose, ...]:
        """Every purpose the role may act under (and declare), in ROLE_GRANTS order."""
        return grant_for(self.role).purposes

    def has(self, permission: Permission) -> bool:
        return permission in self.permissions
