"""Delivering webhooks (issue 12): recorded in the transaction of the change, sent
after it commits as background tasks (core/background.py), with httpx.

Each attempt re-reads the subscription and the app's principal, so a deleted or
disabled subscription, an uninstalled app or a change of consent counts at once; the
payload is rendered at send time (privacy/webhooks/payloads.py). The URL is checked by
the SSRF guard before every attempt (DNS may change). A failure (no answer, or a status
outside 2xx) is retried with exponential backoff and jitter up to the configured
attempts; a delivery that fails them all counts against its subscription, which is
disabled after the configured number in a row, with an audit event (the admin's
notice). Each attempt's status code is kept in the delivery log.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import uuid
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from auth.oauth.resource import principal_for_installation
from core.background import spawn_after_commit
from core.services import Services
from models.base import utcnow
from models.webhooks import WebhookDelivery, WebhookSubscription
from privacy.audit import AuditBuffer, webhook_disabled
from privacy.webhooks import signing, ssrf
from privacy.webhooks.events import EventType
from privacy.webhooks.payloads import ContactView, body, event_data

log = logging.getLogger("ledgerline.webhooks")

TIMEOUT_S = 10.0


def allow_loopback(services: Services) -> bool:
    """The explicit development/test setting; never in production."""
    settings = services.settings
    return settings.webhook_allow_loopback and not settings.is_production


async def enqueue(
    services: Services,
    session: AsyncSession,
    view: ContactView,
    *,
    tenant_id: uuid.UUID,
    event: EventType,
    subject_id: uuid.UUID | None,
    facts: dict[str, Any],
) -> list[uuid.UUID]:
    """A delivery per active subscription to `event`, sent once `session` commits."""
    subscriptions = await session.execute(
        select(col(WebhookSubscription.id), col(WebhookSubscription.event_types)).where(
            col(WebhookSubscription.deleted_at).is_(None),
            col(WebhookSubscription.disabled_at).is_(None),
        )
    )
    ids = []
    for subscription_id, event_types in subscriptions.all():
        if event.value not in event_types.split():
            continue
        row = WebhookDelivery(
            tenant_id=tenant_id,
            subscription_id=subscription_id,
            event_type=event.value,
            subject_id=subject_id,
            data=json.dumps(facts, sort_keys=True),
        )
        session.add(row)
        ids.append(row.id)
    if ids:
        await session.flush()
        schedule(services, session, view, tenant_id, ids)
    return ids


def schedule(
    services: Services,
    session: AsyncSession,
    view: ContactView,
    tenant_id: uuid.UUID,
    delivery_ids: list[uuid.UUID],
) -> None:
    for delivery_id in delivery_ids:
        spawn_after_commit(
            session,
            services.background,
            lambda d=delivery_id: deliver(services, view, tenant_id, d),  # type: ignore[misc]
            name=f"webhook {delivery_id}",
        )


def backoff_s(services: Services, attempt: int) -> float:
    """Exponential backoff with jitter: between half and all of base * 2^(attempt-1)."""
    ceiling = services.settings.webhook_backoff_ms / 1000 * 2 ** (attempt - 1)
    return random.uniform(ceiling / 2, ceiling)


async def deliver(
    services: Services, view: ContactView, tenant_id: uuid.UUID, delivery_id: uuid.UUID
) -> str:
    """Attempt the delivery until it succeeds or its attempts run out; its final status."""
    for attempt in range(1, services.settings.webhook_max_attempts + 1):
        status = await _attempt(services, view, tenant_id, delivery_id, attempt)
        if status != "retry":
            return status
        if attempt < services.settings.webhook_max_attempts:
            await asyncio.sleep(backoff_s(services, attempt))
    await _give_up(services, tenant_id, delivery_id)
    return "failed"


async def _with_subscription(
    session: AsyncSession, delivery_id: uuid.UUID
) -> tuple[WebhookDelivery, WebhookSubscription] | None:
    """The delivery and its subscription, or None once the delivery is gone."""
    row = (
        await session.execute(
            select(WebhookDelivery, WebhookSubscription)
            .join(
                WebhookSubscription,
                col(WebhookSubscription.id) == WebhookDelivery.subscription_id,
            )
            .where(col(WebhookDelivery.id) == delivery_id)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def _attempt(
    services: Services,
    view: ContactView,
    tenant_id: uuid.UUID,
    delivery_id: uuid.UUID,
    attempt: int,
) -> str:
    async with services.db.session(tenant_id) as session:
        found = await _with_subscription(session, delivery_id)
        if found is None:
            return "gone"
        delivery, subscription = found
        if subscription.deleted_at is not None or subscription.disabled_at is not None:
            return "skipped"
        principal = await principal_for_installation(session, subscription.installation_id)
        if principal is None:  # uninstalled: nothing more leaves for this app
            delivery.status, delivery.last_error = "failed", "the app may not read data here"
            await session.commit()
            return "failed"
        cipher = await services.keyring.cipher(session, tenant_id)
        event = EventType(delivery.event_type)
        data = await event_data(
            session, principal, view, cipher.decrypt, event, delivery.subject_id,
            json.loads(delivery.data),
        )  # fmt: skip
        now = utcnow()
        payload = body(f"msg_{delivery.id.hex}", event, now, data)
        secret = cipher.decrypt(subscription.secret_sealed)
        code, error = await _post(services, subscription.url, secret, delivery.id, now, payload)
        delivery.attempts = attempt
        delivery.last_status_code, delivery.last_error = code, error
        delivery.updated_at = now
        if code is not None and 200 <= code < 300:
            delivery.status, delivery.delivered_at = "delivered", now
            subscription.consecutive_failures = 0
            await session.commit()
            return "delivered"
        await session.commit()
        return "retry"


async def _post(
    services: Services,
    url: str,
    secret: str,
    delivery_id: uuid.UUID,
    now: datetime,
    payload: bytes,
) -> tuple[int | None, str | None]:
    try:
        await ssrf.check_url(url, allow_loopback=allow_loopback(services))
    except ssrf.UnsafeURL as exc:
        return None, str(exc)
    timestamp = int(now.timestamp())
    headers = signing.headers(secret, f"msg_{delivery_id.hex}", timestamp, payload)
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_S, follow_redirects=False) as client:
            response = await client.post(url, content=payload, headers=headers)
    except httpx.HTTPError as exc:
        return None, type(exc).__name__
    return response.status_code, None


async def _give_up(services: Services, tenant_id: uuid.UUID, delivery_id: uuid.UUID) -> None:
    """The delivery failed for good: count it, and disable the subscription after too
    many in a row (audited: the admin's notice)."""
    async with services.db.session(tenant_id) as session:
        found = await _with_subscription(session, delivery_id)
        if found is None:
            return
        delivery, subscription = found
        delivery.status = "failed"
        subscription.consecutive_failures += 1
        if subscription.consecutive_failures >= services.settings.webhook_disable_after:
            subscription.disabled_at = utcnow()
            buffer = AuditBuffer()
            webhook_disabled(
                buffer, subscription_id=subscription.id,
                failures=subscription.consecutive_failures,
            )  # fmt: skip
            await buffer.flush_public(
                session, tenant_id, chain_key=services.settings.audit_key, actor_type="system"
            )
            log.warning("webhook subscription %s disabled", subscription.id)
        await session.commit()


async def replay(
    services: Services, session: AsyncSession, view: ContactView, delivery_id: uuid.UUID
) -> WebhookDelivery | None:
    """Send a delivery again (once `session` commits); None when there is none."""
    delivery = (
        await session.execute(select(WebhookDelivery).where(col(WebhookDelivery.id) == delivery_id))
    ).scalar_one_or_none()
    if delivery is None:
        return None
    delivery.status, delivery.updated_at = "pending", utcnow()
    await session.flush()
    schedule(services, session, view, delivery.tenant_id, [delivery.id])
    return delivery


async def deliveries_of(
    session: AsyncSession, subscription_id: uuid.UUID, limit: int
) -> list[WebhookDelivery]:
    rows = await session.execute(
        select(WebhookDelivery)
        .where(col(WebhookDelivery.subscription_id) == subscription_id)
        .order_by(col(WebhookDelivery.created_at).desc())
        .limit(limit)
    )
    return list(rows.scalars().all())
