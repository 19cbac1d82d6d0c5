"""Webhook delivery to a real receiver (issue 12): signed per Standard Webhooks (checked
with the independent `standardwebhooks` library), sent after the change commits,
retried after a 500 with the status codes in the delivery log, replayable, and a
subscription that keeps failing is disabled with an audit event."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlmodel import col
from standardwebhooks.webhooks import Webhook

from models.audit import AuditEvent
from tests.webhooks.conftest import Installed, Receiver, subscribe

CONTACTS = "{ contacts(first: 3) { nodes { id } } }"
UPDATE = """
mutation($id: ID!) { updateContact(id: $id, input: {jobTitle: "Buyer"}) { contact { id } } }
"""
DELIVERIES = """
query($s: ID!) { webhookDeliveries(subscription: $s) {
  id eventType status attempts lastStatusCode lastError } }
"""
SUBSCRIPTIONS = "{ webhookSubscriptions { id disabledAt consecutiveFailures } }"


async def _a_contact(installed: Installed) -> str:
    body = await installed.admin(CONTACTS)
    return str(body["data"]["contacts"]["nodes"][0]["id"])


async def _update(installed: Installed, contact: str) -> None:
    body = await installed.admin(UPDATE, {"id": contact})
    assert "errors" not in body, body
    await installed.settle()


async def test_a_delivery_carries_a_valid_standard_webhooks_signature(
    installed: Installed, receiver: Receiver
):
    _, secret = await subscribe(installed, receiver.url, ["contact.updated"])
    contact = await _a_contact(installed)
    await _update(installed, contact)
    assert len(receiver.received) == 1
    got = receiver.received[0]
    payload = Webhook(secret).verify(got.body, got.headers)
    assert payload["type"] == "contact.updated"
    assert payload["data"]["id"] == contact
    assert payload["data"]["changedCategories"] == ["JOB"]


async def test_a_tampered_body_fails_verification(installed: Installed, receiver: Receiver):
    _, secret = await subscribe(installed, receiver.url, ["contact.updated"])
    await _update(installed, await _a_contact(installed))
    got = receiver.received[0]
    try:
        Webhook(secret).verify(got.body.replace(b"contact", b"kontakt"), got.headers)
    except Exception as exc:  # the library's WebhookVerificationError
        assert "signature" in str(exc).lower()
    else:
        raise AssertionError("a tampered body verified")


async def test_an_event_not_subscribed_to_is_not_sent(installed: Installed, receiver: Receiver):
    await subscribe(installed, receiver.url, ["contact.erased"])
    await _update(installed, await _a_contact(installed))
    assert receiver.received == []


async def test_a_500_is_retried_and_the_log_keeps_the_status_code(
    installed: Installed, receiver: Receiver
):
    subscription, secret = await subscribe(installed, receiver.url, ["contact.updated"])
    receiver.answers = [500]
    await _update(installed, await _a_contact(installed))
    assert len(receiver.received) == 2
    first, second = (Webhook(secret).verify(r.body, r.headers) for r in receiver.received)
    assert first["data"] == second["data"]
    assert receiver.received[0].headers["webhook-id"] == receiver.received[1].headers["webhook-id"]
    log = (await installed.admin(DELIVERIES, {"s": subscription}))["data"]["webhookDeliveries"]
    assert [(d["status"], d["attempts"], d["lastStatusCode"]) for d in log] == [
        ("delivered", 2, 200)
    ]


async def test_a_failed_delivery_can_be_replayed(installed: Installed, receiver: Receiver):
    subscription, _ = await subscribe(installed, receiver.url, ["contact.updated"])
    receiver.answers = [500, 500, 500]
    await _update(installed, await _a_contact(installed))
    log = (await installed.admin(DELIVERIES, {"s": subscription}))["data"]["webhookDeliveries"]
    assert [(d["status"], d["lastStatusCode"]) for d in log] == [("failed", 500)]
    replayed = await installed.admin(
        "mutation($d: ID!) { replayWebhookDelivery(delivery: $d) { id status } }",
        {"d": log[0]["id"]},
    )
    assert replayed["data"]["replayWebhookDelivery"]["status"] == "pending"
    await installed.settle()
    log = (await installed.admin(DELIVERIES, {"s": subscription}))["data"]["webhookDeliveries"]
    assert [(d["status"], d["lastStatusCode"]) for d in log] == [("delivered", 200)]
    assert len(receiver.received) == 4


async def test_repeated_failures_disable_the_subscription_with_an_audit_event(
    installed: Installed, receiver: Receiver
):
    subscription, _ = await subscribe(installed, receiver.url, ["contact.updated"])
    receiver.answers = [503] * 6  # two deliveries of three attempts (disable after 2)
    contact = await _a_contact(installed)
    await _update(installed, contact)
    await _update(installed, contact)
    listed = (await installed.admin(SUBSCRIPTIONS))["data"]["webhookSubscriptions"]
    assert listed[0]["disabledAt"] is not None and listed[0]["consecutiveFailures"] == 2
    await _update(installed, contact)
    assert len(receiver.received) == 6  # nothing more is sent to a disabled subscription
    services = installed.partner.services
    tenant = installed.partner.tenants["acme"].tenant_id
    async with services.db.session(tenant) as session:
        actions = (
            await session.execute(
                select(col(AuditEvent.action)).where(col(AuditEvent.action) == "webhook_disabled")
            )
        ).all()
    assert len(actions) == 1
    assert subscription  # the subscription listed above is the one created here


async def test_the_body_is_json_with_type_timestamp_and_data(
    installed: Installed, receiver: Receiver
):
    await subscribe(installed, receiver.url, ["contact.updated"])
    await _update(installed, await _a_contact(installed))
    envelope = json.loads(receiver.received[0].body)
    assert set(envelope) == {"type", "timestamp", "data"}
