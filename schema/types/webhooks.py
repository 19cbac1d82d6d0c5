"""Webhooks as the API shows them (issue 12): subscriptions, a fresh secret shown once,
and the delivery log. Every field is plain: URLs, ids, event types, status codes and
times, never personal data (the payloads themselves are never stored)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from auth.permissions import Permission as P
from schema.directives import Requires, TenantScoped
from schema.policy import plain_field


@strawberry.type(
    description="An installed app's subscription to events, delivered to its URL.",
    directives=[TenantScoped(), Requires(permission=P.APPS_MANAGE)],
)
class WebhookSubscription:
    gid: strawberry.ID = plain_field("Opaque global id of the subscription.", name="id")
    installation: strawberry.ID = plain_field("The app installation (AppInstallation id).")
    url: str = plain_field("The https URL deliveries are sent to.")
    event_types: list[str] = plain_field(
        "The events it receives: contact.created, contact.updated, contact.erased, "
        "consent.changed, deal.stage_changed, request.completed."
    )
    created_at: datetime = plain_field("When it was created.")
    consecutive_failures: int = plain_field("Deliveries that failed in a row.")
    disabled_at: datetime | None = plain_field(
        "When it was disabled after too many failed deliveries in a row (rotate its "
        "secret to enable it again); null while enabled."
    )


@strawberry.type(
    description="A subscription with its signing secret (Standard Webhooks, `whsec_`), "
    "shown this once.",
    directives=[TenantScoped(), Requires(permission=P.APPS_MANAGE)],
)
class WebhookSubscriptionWithSecret:
    subscription: WebhookSubscription = plain_field("The subscription.")
    secret: str = plain_field("The signing secret; shown once.")


@strawberry.type(
    description="One event sent (or being sent) to a subscription, with its status code.",
    directives=[TenantScoped(), Requires(permission=P.APPS_MANAGE)],
)
class WebhookDelivery:
    gid: strawberry.ID = plain_field("Opaque global id of the delivery.", name="id")
    subscription: strawberry.ID = plain_field("Its subscription (WebhookSubscription id).")
    event_type: str = plain_field("The event.")
    status: str = plain_field("pending, delivered or failed.")
    attempts: int = plain_field("Attempts made so far.")
    last_status_code: int | None = plain_field(
        "The receiver's last HTTP status code; null when it did not answer."
    )
    last_error: str | None = plain_field("Why the last attempt got no answer, in words.")
    created_at: datetime = plain_field("When the event happened.")
    delivered_at: datetime | None = plain_field("When a receiver accepted it (2xx).")
