"""Installations of partner apps in a tenant (issue 12, policy section 6).

A tenant admin installs an app on the consent page (`install`) and lists or uninstalls it through
the API (`installations_of`, `uninstall`). Uninstalling revokes the installation and
every grant made under it in one statement, so every access and refresh token of that
app in that tenant stops at once: the GraphQL endpoint reads both revocations on each
request (auth/oauth/resource.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import col

from auth.principal import Principal
from auth.scopes import parse_scopes, scope_text
from models.apps import AppInstallation, OAuthClient, OAuthGrant
from models.base import utcnow
from privacy.audit import AuditBuffer, app_installed, app_restricted, app_uninstalled


def active_installation(session: Session, client_pk: uuid.UUID) -> AppInstallation | None:
    """The app's installation in the session's tenant, if it is installed."""
    return session.execute(
        select(AppInstallation).where(
            col(AppInstallation.client_pk) == client_pk, col(AppInstallation.revoked_at).is_(None)
        )
    ).scalar_one_or_none()


async def install(
    session: AsyncSession,
    buffer: AuditBuffer,
    principal: Principal,
    client_pk: uuid.UUID,
    client_id: str,
    scopes: str,
    *,
    trusted_documents_only: bool,
) -> AppInstallation:
    """Install the app with `scopes` (added to an existing installation's); the audit
    entry goes in `buffer`, to be written in the same transaction."""
    row = (
        await session.execute(
            select(AppInstallation).where(
                col(AppInstallation.client_pk) == client_pk,
                col(AppInstallation.revoked_at).is_(None),
            )
        )
    ).scalar_one_or_none()
    if row is None:
        row = AppInstallation(
            tenant_id=principal.tenant_id,
            client_pk=client_pk,
            scopes=scope_text(parse_scopes(scopes)),
            installed_by=principal.user_id,
            trusted_documents_only=trusted_documents_only,
        )
        session.add(row)
    else:
        row.scopes = scope_text(parse_scopes(f"{row.scopes} {scopes}"))
        row.trusted_documents_only = row.trusted_documents_only or trusted_documents_only
        row.updated_at = utcnow()
    await session.flush()
    app_installed(buffer, installation_id=row.id, client_id=client_id, scopes=row.scopes)
    return row


@dataclass(frozen=True)
class InstalledApp:
    installation: AppInstallation
    client_id: str
    name: str


async def installations_of(session: AsyncSession) -> list[InstalledApp]:
    """Every installation of the session's tenant, active and revoked, newest first."""
    rows = await session.execute(
        select(AppInstallation, col(OAuthClient.client_id), col(OAuthClient.name))
        .join(OAuthClient, col(OAuthClient.id) == AppInstallation.client_pk)
        .order_by(col(AppInstallation.created_at).desc())
    )
    return [InstalledApp(r[0], r[1], r[2]) for r in rows.all()]


async def _active(session: AsyncSession, installation_id: uuid.UUID) -> InstalledApp | None:
    found = (
        await session.execute(
            select(AppInstallation, col(OAuthClient.client_id), col(OAuthClient.name))
            .join(OAuthClient, col(OAuthClient.id) == AppInstallation.client_pk)
            .where(
                col(AppInstallation.id) == installation_id,
                col(AppInstallation.revoked_at).is_(None),
            )
        )
    ).first()
    return None if found is None else InstalledApp(found[0], found[1], found[2])


async def set_trusted_documents_only(
    session: AsyncSession,
    buffer: AuditBuffer,
    principal: Principal,
    installation_id: uuid.UUID,
    enabled: bool,
) -> InstalledApp | None:
    """Allow the app only its registered operations (or any again); None if the tenant
    has no such active installation."""
    app = await _active(session, installation_id)
    if app is None:
        return None
    app.installation.trusted_documents_only = enabled
    app.installation.updated_at = utcnow()
    app_restricted(
        buffer, installation_id=installation_id, client_id=app.client_id, enabled=enabled
    )
    return app


async def uninstall(
    session: AsyncSession, buffer: AuditBuffer, principal: Principal, installation_id: uuid.UUID
) -> InstalledApp | None:
    """Revoke the installation and all its grants; None if the tenant has no such
    active installation (another tenant's id answers the same)."""
    app = await _active(session, installation_id)
    if app is None:
        return None
    installation = app.installation
    now = utcnow()
    installation.revoked_at = now
    installation.revoked_by = principal.user_id
    await session.execute(
        update(OAuthGrant)
        .where(
            col(OAuthGrant.installation_id) == installation_id,
            col(OAuthGrant.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )
    app_uninstalled(buffer, installation_id=installation_id, client_id=app.client_id)
    return app
