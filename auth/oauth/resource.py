"""A partner app's access token becomes the request's principal (issue 12).

Read in the operation's own transaction, in one statement: the user's current role,
the grant's and the installation's revocation, the installation's scopes and whether
it allows only the app's trusted documents. An uninstalled app, a revoked grant or a
member who left stop counting from the very next request; the app acts with the
intersection of its scopes (token, grant and installation alike) and the user's role
(auth/principal.py `Principal.for_app`).

`principal_for_installation` is the same app with no token: the installation's scopes
and the installing member's current role, the principal its webhooks are rendered for
(privacy/webhooks/payloads.py), so a webhook carries nothing its GraphQL would not.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from auth.oauth.claims import AppCredential
from auth.permissions import Role
from auth.principal import Principal
from auth.scopes import parse_scopes
from models.accounts import Membership
from models.apps import AppInstallation, OAuthClient, OAuthGrant, TrustedDocument


async def principal_for_app(session: AsyncSession, credential: AppCredential) -> Principal:
    from auth.sessions import AuthenticationError

    row = (
        await session.execute(
            select(
                col(Membership.role),
                col(OAuthGrant.scope),
                col(AppInstallation.scopes),
                col(AppInstallation.trusted_documents_only),
                col(AppInstallation.client_pk),
            )
            .join(OAuthGrant, col(OAuthGrant.user_id) == Membership.user_id)
            .join(AppInstallation, col(AppInstallation.id) == OAuthGrant.installation_id)
            .join(OAuthClient, col(OAuthClient.id) == AppInstallation.client_pk)
            .where(
                col(Membership.user_id) == credential.user_id,
                col(OAuthGrant.id) == credential.grant_id,
                col(OAuthGrant.installation_id) == credential.installation_id,
                col(OAuthGrant.revoked_at).is_(None),
                col(AppInstallation.revoked_at).is_(None),
                col(OAuthClient.client_id) == credential.client_id,
                col(OAuthClient.revoked_at).is_(None),
            )
        )
    ).first()
    if row is None:
        raise AuthenticationError("app access revoked or member gone")
    granted = set(credential.scope.split()) & set(row.scope.split()) & set(row.scopes.split())
    documents = None
    if row.trusted_documents_only:
        hashes = await session.execute(
            select(col(TrustedDocument.sha256)).where(
                col(TrustedDocument.client_pk) == row.client_pk
            )
        )
        documents = frozenset(hashes.scalars().all())
    return Principal.for_app(
        credential.user_id,
        credential.tenant_id,
        Role(row.role),
        parse_scopes(" ".join(granted)),
        client_id=credential.client_id,
        installation_id=credential.installation_id,
        grant_id=credential.grant_id,
        purpose=credential.purpose,
        trusted_documents=documents,
    )


async def principal_for_installation(
    session: AsyncSession, installation_id: uuid.UUID
) -> Principal | None:
    """The app of an active installation acting for the member who installed it, under
    the installation's scopes; None when it is uninstalled, the app revoked, the member
    gone, or no purpose is left to act under."""
    from auth.principal import PurposeNotAllowed

    row = (
        await session.execute(
            select(
                col(Membership.role),
                col(AppInstallation.scopes),
                col(AppInstallation.installed_by),
                col(AppInstallation.tenant_id),
                col(OAuthClient.client_id),
            )
            .join(
                AppInstallation,
                (col(AppInstallation.installed_by) == Membership.user_id)
                & (col(AppInstallation.tenant_id) == Membership.tenant_id),
            )
            .join(OAuthClient, col(OAuthClient.id) == AppInstallation.client_pk)
            .where(
                col(AppInstallation.id) == installation_id,
                col(AppInstallation.revoked_at).is_(None),
                col(OAuthClient.revoked_at).is_(None),
            )
        )
    ).first()
    if row is None:
        return None
    try:
        return Principal.for_app(
            row.installed_by,
            row.tenant_id,
            Role(row.role),
            parse_scopes(row.scopes),
            client_id=row.client_id,
            installation_id=installation_id,
            grant_id=None,
        )
    except PurposeNotAllowed:
        return None
