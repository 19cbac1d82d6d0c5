"""Webhook subscriptions for a tenant admin (issue 12): subscribe with a secret shown
once, list, rotate, delete; bad URLs and event types refused with stable codes; another
tenant's subscription answers like one that never existed."""

from __future__ import annotations

import uuid

from auth.permissions import Role
from resolvers.global_ids import encode_id
from tests.oauth.conftest import Partner, bearer, gql, plain_client, session_token
from tests.webhooks.conftest import Installed, subscribe

LIST = "{ webhookSubscriptions { id url eventTypes } }"
ROTATE = "mutation($s: ID!) { rotateWebhookSecret(subscription: $s) { secret } }"
DELETE = "mutation($s: ID!) { deleteWebhookSubscription(subscription: $s) { id } }"


async def test_subscribing_returns_a_standard_webhooks_secret_once(installed: Installed):
    subscription, secret = await subscribe(
        installed, "https://93.184.215.14/in", ["contact.created", "contact.erased"]
    )
    assert secret.startswith("whsec_")
    listed = (await installed.admin(LIST))["data"]["webhookSubscriptions"]
    assert listed == [
        {
            "id": subscription,
            "url": "https://93.184.215.14/in",
            "eventTypes": ["contact.created", "contact.erased"],
        }
    ]
    assert secret not in str(await installed.admin(LIST))


async def test_rotating_gives_a_new_secret(installed: Installed):
    subscription, secret = await subscribe(
        installed, "https://93.184.215.14/in", ["contact.created"]
    )
    rotated = await installed.admin(ROTATE, {"s": subscription})
    new = rotated["data"]["rotateWebhookSecret"]["secret"]
    assert new.startswith("whsec_") and new != secret


async def test_a_deleted_subscription_is_no_longer_listed(installed: Installed):
    subscription, _ = await subscribe(installed, "https://93.184.215.14/in", ["contact.created"])
    assert "errors" not in await installed.admin(DELETE, {"s": subscription})
    assert (await installed.admin(LIST))["data"]["webhookSubscriptions"] == []


async def test_a_private_address_is_refused_as_bad_input(installed: Installed):
    body = await installed.admin(
        'mutation($i: ID!) { subscribeWebhook(installation: $i, url: "https://10.0.0.1/x", '
        'eventTypes: ["contact.created"]) { secret } }',
        {"i": installed.installation},
    )
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "url"}
    assert (await installed.admin(LIST))["data"]["webhookSubscriptions"] == []


async def test_an_unknown_event_type_is_refused_as_bad_input(installed: Installed):
    body = await installed.admin(
        'mutation($i: ID!) { subscribeWebhook(installation: $i, url: "https://h.example.com", '
        'eventTypes: ["contact.read"]) { secret } }',
        {"i": installed.installation},
    )
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "eventTypes"}


async def test_another_tenants_subscription_answers_like_a_missing_one(
    installed: Installed, partner: Partner
):
    subscription, _ = await subscribe(installed, "https://93.184.215.14/in", ["contact.created"])
    missing = encode_id("WebhookSubscription", uuid.uuid4())
    other = await session_token(partner, Role.ADMIN, "globex")
    answers = []
    for gid in (subscription, missing):
        async with await plain_client(partner) as http:
            response = await gql(http, ROTATE, {"s": gid}, headers=bearer(other))
        body = response.json()
        answers.append(body)
    assert answers[0] == answers[1]
    assert answers[0]["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_member_without_apps_manage_may_not_subscribe(
    installed: Installed, partner: Partner
):
    token = await session_token(partner, Role.READ_ONLY)
    async with await plain_client(partner) as http:
        response = await gql(http, LIST, headers=bearer(token))
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
