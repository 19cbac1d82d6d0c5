"""The typed request context: everything a resolver may use, built once per request.

The tenant scope is entered here (the session is bound to the principal's tenant) and
the per-request state lives here too: dataloaders, the caller's policy decisions, the
redactions listed in the response and the audit buffer flushed at the end.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from auth.permissions import Permission
from auth.principal import Principal
from auth.sessions import Credential
from core.errors import forbidden, unauthenticated
from privacy.audit import AuditBuffer
from privacy.crypto import TenantCipher
from privacy.decision import RequestPolicy

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from starlette.requests import Request
    from starlette.responses import Response

    from core.services import Services


_FIXED = frozenset({"principal", "_policy"})


@dataclass(eq=False)
class RequestContext:
    services: Services
    principal: Principal | None
    credential: Credential | None = None
    """A session cookie or a verified bearer token, turned into `principal` inside the
    operation's own transaction (auth.sessions.resolve_principal, server/execution.py)."""
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    request: Request | None = None
    response: Response | None = None
    client_ip: str | None = None
    user_agent: str | None = None
    session: AsyncSession | None = None
    cipher: TenantCipher | None = None
    operation_kind: str = "unknown"
    """query, mutation or subscription, once the document is parsed (the usage log)."""
    redactions: list[dict[str, Any]] = field(default_factory=list)
    audit: AuditBuffer = field(default_factory=AuditBuffer)
    _policy: RequestPolicy | None = None
    loaders: Any = None
    """The request's dataloaders, made on first use by `resolvers.loaders.loaders_of`."""

    def __setattr__(self, name: str, value: Any) -> None:
        # The principal is fixed once known (policy section 4, issue 8): a bearer token's
        # principal is resolved once, inside the operation; nothing may replace it.
        if name in _FIXED and getattr(self, name, None) is not None:
            raise RuntimeError(f"the request's {name} is fixed once set")
        object.__setattr__(self, name, value)

    @property
    def policy(self) -> RequestPolicy:
        if self._policy is None:
            p = self.principal
            self._policy = (
                RequestPolicy(p.permissions, p.purposes) if p else RequestPolicy(frozenset(), ())
            )
        return self._policy

    @property
    def db(self) -> AsyncSession:
        if self.session is None:
            raise RuntimeError("no database session: execute through server.execution")
        return self.session

    def require_cipher(self) -> TenantCipher:
        """The tenant's cipher, loaded with the principal (server.execution)."""
        if self.cipher is None:
            raise RuntimeError("no tenant cipher: execute through server.execution")
        return self.cipher

    def require_response(self) -> Response:
        """The HTTP response whose cookies a sign-in or log-out sets (server.view)."""
        if self.response is None:
            raise RuntimeError("no HTTP response: execute through the GraphQL view")
        return self.response

    def require_principal(self) -> Principal:
        if self.principal is None:
            raise unauthenticated()
        return self.principal

    def require(self, permission: Permission, what: str) -> Principal:
        principal = self.require_principal()
        if permission not in principal.permissions:
            raise forbidden(what)
        return principal

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.require_principal().tenant_id
