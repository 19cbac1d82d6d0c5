"""Webhooks of partner apps (issue 12, policy sections 6 and 9), for tenant admins:
subscribe an installed app to events, list, delete, rotate a secret, read the delivery
log, replay a delivery. Resolvers in resolvers/webhooks.py; delivery and payloads in
privacy/webhooks/."""

from __future__ import annotations

import strawberry

from auth.permissions import Permission as P
from core.context import RequestContext
from resolvers import webhooks as resolve
from schema.policy import guarded_field
from schema.types.webhooks import (
    WebhookDelivery,
    WebhookSubscription,
    WebhookSubscriptionWithSecret,
)


@strawberry.type
class Query:
    @guarded_field(
        permission=P.APPS_MANAGE,
        description="Webhook subscriptions of the apps installed in your organisation.",
    )
    async def webhook_subscriptions(
        self, info: strawberry.Info[RequestContext, None]
    ) -> list[WebhookSubscription]:
        return await resolve.subscriptions_of(info.context)  # type: ignore[return-value]

    @guarded_field(
        permission=P.APPS_MANAGE,
        description="The delivery log of a subscription, newest first, with status codes.",
    )
    async def webhook_deliveries(
        self,
        info: strawberry.Info[RequestContext, None],
        subscription: strawberry.ID,
        first: int = 20,
    ) -> list[WebhookDelivery]:
        return await resolve.deliveries_of(  # type: ignore[return-value]
            info.context, subscription, first
        )


@strawberry.type
class Mutation:
    @guarded_field(
        permission=P.APPS_MANAGE,
        description="Subscribe an installed app to events, delivered to an https URL that "
        "resolves to a public address, signed per Standard Webhooks with a secret shown "
        "once. Payloads carry only what the app could read through the API.",
    )
    async def subscribe_webhook(
        self,
        info: strawberry.Info[RequestContext, None],
        installation: strawberry.ID,
        url: str,
        event_types: list[str],
    ) -> WebhookSubscriptionWithSecret:
        return await resolve.subscribe(  # type: ignore[return-value]
            info.context, installation, url, event_types
        )

    @guarded_field(
        permission=P.APPS_MANAGE,
        description="Delete a webhook subscription: nothing more is sent to it.",
    )
    async def delete_webhook_subscription(
        self, info: strawberry.Info[RequestContext, None], subscription: strawberry.ID
    ) -> WebhookSubscription:
        return await resolve.delete(info.context, subscription)  # type: ignore[return-value]

    @guarded_field(
        permission=P.APPS_MANAGE,
        description="A new signing secret (shown once) replaces the old one at once; a "
        "disabled subscription is enabled again.",
    )
    async def rotate_webhook_secret(
        self, info: strawberry.Info[RequestContext, None], subscription: strawberry.ID
    ) -> WebhookSubscriptionWithSecret:
        return await resolve.rotate_secret(  # type: ignore[return-value]
            info.context, subscription
        )

    @guarded_field(
        permission=P.APPS_MANAGE,
        description="Send a delivery again, rendered for the app as it may read the data now.",
    )
    async def replay_webhook_delivery(
        self, info: strawberry.Info[RequestContext, None], delivery: strawberry.ID
    ) -> WebhookDelivery:
        return await resolve.replay(info.context, delivery)  # type: ignore[return-value]
