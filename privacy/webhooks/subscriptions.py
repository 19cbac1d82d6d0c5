"""Webhook subscriptions of an installed app (issue 12), managed by a tenant admin:
subscribe (the URL checked by the SSRF guard, the secret returned once), list, delete
(soft: the delivery log keeps its subscription), rotate the secret. The secret is kept
encrypted with the tenant's data key because it must be read back to sign."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from auth.principal import Principal
from models.apps import AppInstallation
from models.base import utcnow
from models.webhooks import WebhookSubscription
from privacy.audit import AuditBuffer, webhook_deleted, webhook_secret_rotated, webhook_subscribed
from privacy.crypto import TenantCipher
from privacy.webhooks.events import EventType
from privacy.webhooks.signing import new_secret


@dataclass(frozen=True)
class WithSecret:
    """A subscription and its secret in the clear, returned this once."""

    subscription: WebhookSubscription
    secret: str


async def subscribe(
    session: AsyncSession,
    buffer: AuditBuffer,
    cipher: TenantCipher,
    principal: Principal,
    installation_id: uuid.UUID,
    url: str,
    events: tuple[EventType, ...],
) -> WithSecret | None:
    """None when the installation is unknown, uninstalled or another tenant's. The URL
    is checked by the caller (privacy/webhooks/ssrf.py) before this is called."""
    installed = (
        await session.execute(
            select(col(AppInstallation.id)).where(
                col(AppInstallation.id) == installation_id,
                col(AppInstallation.revoked_at).is_(None),
            )
        )
    ).scalar_one_or_none()
    if installed is None:
        return None
    secret = new_secret()
    row = WebhookSubscription(
        tenant_id=principal.tenant_id,
        installation_id=installation_id,
        url=url,
        event_types=" ".join(e.value for e in events),
        secret_sealed=cipher.encrypt(secret),
        created_by=principal.user_id,
    )
    session.add(row)
    await session.flush()
    webhook_subscribed(
        buffer, subscription_id=row.id, installation_id=installation_id, events=row.event_types
    )
    return WithSecret(row, secret)


async def subscriptions_of(session: AsyncSession) -> list[WebhookSubscription]:
    """The tenant's subscriptions that are not deleted, newest first."""
    rows = await session.execute(
        select(WebhookSubscription)
        .where(col(WebhookSubscription.deleted_at).is_(None))
        .order_by(col(WebhookSubscription.created_at).desc())
    )
    return list(rows.scalars().all())


async def find(session: AsyncSession, subscription_id: uuid.UUID) -> WebhookSubscription | None:
    return (
        await session.execute(
            select(WebhookSubscription).where(
                col(WebhookSubscription.id) == subscription_id,
                col(WebhookSubscription.deleted_at).is_(None),
            )
        )
    ).scalar_one_or_none()


async def delete(
    session: AsyncSession, buffer: AuditBuffer, subscription_id: uuid.UUID
) -> WebhookSubscription | None:
    row = await find(session, subscription_id)
    if row is None:
        return None
    row.deleted_at = row.updated_at = utcnow()
    await session.flush()
    webhook_deleted(buffer, subscription_id=row.id)
    return row


async def rotate_secret(
    session: AsyncSession, buffer: AuditBuffer, cipher: TenantCipher, subscription_id: uuid.UUID
) -> WithSecret | None:
    """A new secret replaces the old one at once; a disabled subscription is enabled
    again with a clean failure count (rotating is how an admin says "fixed")."""
    row = await find(session, subscription_id)
    if row is None:
        return None
    secret = new_secret()
    row.secret_sealed = cipher.encrypt(secret)
    row.disabled_at, row.consecutive_failures = None, 0
    row.updated_at = utcnow()
    await session.flush()
    webhook_secret_rotated(buffer, subscription_id=row.id)
    return WithSecret(row, secret)
