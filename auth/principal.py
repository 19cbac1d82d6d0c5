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
from auth.scopes import Scope, permissions_of, purposes_of
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
    auth_method: str  # "cookie" | "bearer" | "app"
    session_id: uuid.UUID | None = None
    permissions: frozenset[Permission] = field(default=frozenset())
    purposes: tuple[Purpose, ...] = ()
    """The request's declared purpose (one), the only one its decisions use."""
    client_id: str | None = None
    """The partner app acting for `user_id` (issue 12); None when the user acts."""
    installation_id: uuid.UUID | None = None
    trusted_documents: frozenset[str] | None = None
    """The SHA-256 of every operation the app may run, when its installation allows
    only its registered (trusted) documents; None: any operation."""

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

    @classmethod
    def for_app(
        cls,
        user_id: uuid.UUID,
        tenant_id: uuid.UUID,
        role: Role,
        scopes: tuple[Scope, ...],
        *,
        client_id: str,
        installation_id: uuid.UUID,
        grant_id: uuid.UUID | None,
        purpose: Purpose | None = None,
        trusted_documents: frozenset[str] | None = None,
    ) -> Principal:
        """A partner app acting for a user: never more than its scopes nor the user's
        role (the intersection of both permission sets), under a purpose both allow
        (its scopes' first that the role may act under, or the declared one).
        Raises PurposeNotAllowed when there is none."""
        grant = grant_for(role)
        allowed = tuple(p for p in purposes_of(scopes) if p in grant.purposes)
        if purpose is None and not allowed:
            raise PurposeNotAllowed((purposes_of(scopes) or grant.purposes)[0], role)
        declared = allowed[0] if purpose is None else purpose
        if declared not in allowed:
            raise PurposeNotAllowed(declared, role)
        return cls(
            user_id=user_id,
            tenant_id=tenant_id,
            role=role,
            auth_method="app",
            session_id=grant_id,
            permissions=grant.permissions & permissions_of(scopes),
            purposes=(declared,),
            client_id=client_id,
            installation_id=installation_id,
            trusted_documents=trusted_documents,
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
