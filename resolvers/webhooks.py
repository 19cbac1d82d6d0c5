"""Webhooks in the API (issue 12): a tenant admin (`apps:manage`) subscribes an
installed app to events, lists and deletes subscriptions, rotates a secret, reads the
delivery log and replays a delivery; the resolvers of changes `emit` their events.
Another tenant's subscription or delivery answers like a missing one.

The contact a webhook carries is the GraphQL `Contact` type's own declarations
(`CONTACT_VIEW`), rendered by privacy/webhooks/payloads.py under the app's principal."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col
from strawberry.types.base import get_object_definition
from strawberry.utils.str_converters import to_camel_case

from auth.permissions import Permission
from core.context import RequestContext
from core.errors import bad_input, not_found
from models.contacts import Contact
from models.webhooks import WebhookDelivery, WebhookSubscription
from privacy.render import PiiSpec
from privacy.subject_state import StateInterner
from privacy.webhooks import delivery, ssrf, subscriptions
from privacy.webhooks.events import EventType, parse_event_types
from privacy.webhooks.payloads import ContactView
from resolvers.global_ids import encode_id, try_decode
from resolvers.loaders import contact_rows, contact_select
from resolvers.rows import ContactRow

SUBSCRIPTION = "WebhookSubscription"
DELIVERY = "WebhookDelivery"


@cache
def contact_view() -> ContactView:
    """Every personal-data field of the GraphQL `Contact` type, by its GraphQL name,
    with its declaration: read from the type, never copied."""
    from schema.policy import POLICY_KEY
    from schema.types.contacts import Contact as ContactType

    fields = tuple(
        (f.graphql_name or to_camel_case(f.python_name), f.metadata[POLICY_KEY])
        for f in get_object_definition(ContactType, strict=True).fields
        if isinstance(f.metadata.get(POLICY_KEY), PiiSpec)
    )
    return ContactView(fields, _load_contact)


async def _load_contact(session: AsyncSession, contact_id: uuid.UUID) -> ContactRow | None:
    result = await session.execute(contact_select().where(col(Contact.id) == contact_id))
    rows = contact_rows(StateInterner(), result.all())
    return rows[0] if rows else None


async def emit(
    ctx: RequestContext,
    event: EventType,
    subject_id: uuid.UUID | None,
    facts: dict[str, Any],
) -> None:
    """Record `event` for every subscribed app; sent once the operation commits."""
    await delivery.enqueue(
        ctx.services, ctx.db, contact_view(), tenant_id=ctx.tenant_id, event=event,
        subject_id=subject_id, facts=facts,
    )  # fmt: skip


async def contact_event(
    ctx: RequestContext, event: EventType, contact_id: uuid.UUID, **facts: Any
) -> None:
    """An event about a contact: its global id and the facts given (never values)."""
    await emit(ctx, event, contact_id, {"id": encode_id("Contact", contact_id), **facts})


@dataclass
class SubscriptionRow:
    id: uuid.UUID
    installation_id: uuid.UUID
    url: str
    event_types: list[str]
    created_at: datetime
    consecutive_failures: int
    disabled_at: datetime | None

    @property
    def gid(self) -> str:
        return encode_id(SUBSCRIPTION, self.id)

    @property
    def installation(self) -> str:
        return encode_id("AppInstallation", self.installation_id)

    @classmethod
    def of(cls, row: WebhookSubscription) -> SubscriptionRow:
        return cls(
            row.id, row.installation_id, row.url, row.event_types.split(), row.created_at,
            row.consecutive_failures, row.disabled_at,
        )  # fmt: skip


@dataclass
class SubscriptionWithSecretRow:
    subscription: SubscriptionRow
    secret: str


@dataclass
class DeliveryRow:
    id: uuid.UUID
    subscription_id: uuid.UUID
    event_type: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None

    @property
    def gid(self) -> str:
        return encode_id(DELIVERY, self.id)

    @property
    def subscription(self) -> str:
        return encode_id(SUBSCRIPTION, self.subscription_id)

    @classmethod
    def of(cls, row: WebhookDelivery) -> DeliveryRow:
        return cls(
            row.id, row.subscription_id, row.event_type, row.status, row.attempts,
            row.last_status_code, row.last_error, row.created_at, row.delivered_at,
        )  # fmt: skip


def _decoded(gid: str, type_name: str, kind: str) -> uuid.UUID:
    found = try_decode(gid, type_name)
    if found is None:
        raise not_found(kind)
    return found


async def subscribe(
    ctx: RequestContext, installation: str, url: str, event_types: list[str]
) -> SubscriptionWithSecretRow:
    principal = ctx.require(Permission.APPS_MANAGE, "manage apps")
    installation_id = _decoded(installation, "AppInstallation", "app installation")
    try:
        events = parse_event_types(event_types)
    except ValueError as exc:
        raise bad_input(str(exc), "eventTypes") from exc
    try:
        await ssrf.check_url(url, allow_loopback=delivery.allow_loopback(ctx.services))
    except ssrf.UnsafeURL as exc:
        raise bad_input(str(exc), "url") from exc
    made = await subscriptions.subscribe(
        ctx.db, ctx.audit, ctx.require_cipher(), principal, installation_id, url, events
    )
    if made is None:
        raise not_found("app installation")
    return SubscriptionWithSecretRow(SubscriptionRow.of(made.subscription), made.secret)


async def subscriptions_of(ctx: RequestContext) -> list[SubscriptionRow]:
    ctx.require(Permission.APPS_MANAGE, "manage apps")
    return [SubscriptionRow.of(r) for r in await subscriptions.subscriptions_of(ctx.db)]


async def delete(ctx: RequestContext, subscription: str) -> SubscriptionRow:
    ctx.require(Permission.APPS_MANAGE, "manage apps")
    row = await subscriptions.delete(
        ctx.db, ctx.audit, _decoded(subscription, SUBSCRIPTION, "webhook subscription")
    )
    if row is None:
        raise not_found("webhook subscription")
    return SubscriptionRow.of(row)


async def rotate_secret(ctx: RequestContext, subscription: str) -> SubscriptionWithSecretRow:
    ctx.require(Permission.APPS_MANAGE, "manage apps")
    made = await subscriptions.rotate_secret(
        ctx.db, ctx.audit, ctx.require_cipher(),
        _decoded(subscription, SUBSCRIPTION, "webhook subscription"),
    )  # fmt: skip
    if made is None:
        raise not_found("webhook subscription")
    return SubscriptionWithSecretRow(SubscriptionRow.of(made.subscription), made.secret)


async def deliveries_of(ctx: RequestContext, subscription: str, first: int) -> list[DeliveryRow]:
    ctx.require(Permission.APPS_MANAGE, "manage apps")
    subscription_id = _decoded(subscription, SUBSCRIPTION, "webhook subscription")
    if await subscriptions.find(ctx.db, subscription_id) is None:
        raise not_found("webhook subscription")
    if not 1 <= first <= 100:
        raise bad_input("first must be between 1 and 100", "first")
    rows = await delivery.deliveries_of(ctx.db, subscription_id, first)
    return [DeliveryRow.of(r) for r in rows]


async def replay(ctx: RequestContext, gid: str) -> DeliveryRow:
    ctx.require(Permission.APPS_MANAGE, "manage apps")
    row = await delivery.replay(
        ctx.services, ctx.db, contact_view(), _decoded(gid, DELIVERY, "webhook delivery")
    )
    if row is None:
        raise not_found("webhook delivery")
    return DeliveryRow.of(row)
