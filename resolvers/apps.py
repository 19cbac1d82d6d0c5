"""Partner apps in the API (issue 12): a signed-in developer registers an app; a tenant
admin lists the tenant's installations, uninstalls one (every token of that app in
the tenant stops at once) and restricts one to the app's trusted documents.

Apps never manage apps: an app's token never carries `apps:manage` (auth/scopes.py),
and registering one is refused to it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from auth.oauth import installations
from auth.oauth.clients import RegistrationError, register_client
from auth.permissions import Permission
from core.context import RequestContext
from core.errors import bad_input, forbidden, not_found
from resolvers.global_ids import encode_id, try_decode

TYPE_NAME = "AppInstallation"


@dataclass
class InstallationRow:
    id: uuid.UUID
    client_id: str
    name: str
    scopes: list[str]
    installed_by_id: uuid.UUID
    installed_at: datetime
    trusted_documents_only: bool
    revoked_at: datetime | None

    @property
    def gid(self) -> str:
        return encode_id(TYPE_NAME, self.id)

    @property
    def installed_by(self) -> str:
        return encode_id("Member", self.installed_by_id)

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def of(cls, app: installations.InstalledApp) -> InstallationRow:
        row = app.installation
        return cls(
            row.id, app.client_id, app.name, row.scopes.split(), row.installed_by,
            row.created_at, row.trusted_documents_only, row.revoked_at,
        )  # fmt: skip


async def installations_of(ctx: RequestContext) -> list[InstallationRow]:
    ctx.require(Permission.APPS_MANAGE, "manage apps")
    return [InstallationRow.of(app) for app in await installations.installations_of(ctx.db)]


def _installation_id(gid: str) -> uuid.UUID:
    found = try_decode(gid, TYPE_NAME)
    if found is None:
        raise not_found("app installation")
    return found


async def uninstall(ctx: RequestContext, gid: str) -> InstallationRow:
    principal = ctx.require(Permission.APPS_MANAGE, "manage apps")
    app = await installations.uninstall(ctx.db, ctx.audit, principal, _installation_id(gid))
    if app is None:  # unknown, already uninstalled or another tenant's: the same answer
        raise not_found("app installation")
    return InstallationRow.of(app)


async def restrict_to_trusted_documents(
    ctx: RequestContext, gid: str, enabled: bool
) -> InstallationRow:
    principal = ctx.require(Permission.APPS_MANAGE, "manage apps")
    app = await installations.set_trusted_documents_only(
        ctx.db, ctx.audit, principal, _installation_id(gid), enabled
    )
    if app is None:
        raise not_found("app installation")
    return InstallationRow.of(app)


@dataclass
class RegisteredAppRow:
    client_id: str
    client_secret: str | None
    name: str
    client_type: str
    redirect_uris: list[str]
    scopes: list[str]


async def register_app(
    ctx: RequestContext,
    *,
    name: str,
    client_type: str,
    redirect_uris: list[str],
    scopes: list[str],
) -> RegisteredAppRow:
    principal = ctx.require_principal()
    if principal.client_id is not None:
        raise forbidden("register apps with an app's token")
    try:
        registered = await register_client(
            ctx.db, developer_id=principal.user_id, name=name, client_type=client_type,
            redirect_uris=redirect_uris, scopes=scopes,
            production=ctx.services.settings.is_production,
        )  # fmt: skip
    except RegistrationError as exc:
        raise bad_input(str(exc)) from exc
    client = registered.client
    return RegisteredAppRow(
        client.client_id, registered.secret, client.name, client.client_type,
        client.redirect_uris.split(), client.scopes.split(),
    )  # fmt: skip
