"""A webhook never carries a value the app could not read through GraphQL (issue 12):
for every consent state the contact in a `contact.updated` payload equals the app's
own GraphQL answer for the same contact (values and redaction entries), both rendered
by the one policy runtime under the app's principal. Erasure travels as an event with
the contact's id only."""

from __future__ import annotations

import json
from typing import Any

import pytest

from resolvers.webhooks import contact_view
from tests.webhooks.conftest import Installed, Receiver, subscribe

STATES = {
    "granted": "recordConsent(contact: $c, consent: {purpose: SALES, granted: true, "
    'source: "form", evidence: "signed form"}) { contact { id } }',
    "withdrawn": "withdrawConsent(contact: $c, purpose: SALES) { contact { id } }",
    "restricted": 'restrictProcessing(contact: $c, reason: "disputed") { contact { id } }',
    "objection": "recordObjection(contact: $c, purpose: SALES) { contact { id } }",
    "erased": 'eraseContact(contact: $c, reason: "asked") { contact { id } }',
}
TOUCH = """
mutation($c: ID!) { updateContact(id: $c, input: {lifecycleStage: CUSTOMER}) { contact { id } } }
"""


SHOWN = {
    "granted": True,
    "withdrawn": False,
    "restricted": False,
    "objection": False,
    "erased": False,
}
"""Whether the app (acting under sales) still reads the email: only while its consent
stands; withdrawal, restriction, objection and erasure each stop it."""


async def _one_the_app_reads(installed: Installed) -> str:
    """A contact whose email the app reads before the change."""
    body = await installed.as_app("{ contacts(first: 20) { nodes { id email } } }")
    return next(n["id"] for n in body["data"]["contacts"]["nodes"] if n["email"] is not None)


def _app_query() -> str:
    names = " ".join(name for name, _ in contact_view().fields)
    return f"query($c: ID!) {{ contact(id: $c) {{ id {names} }} }}"


def _entries(redactions: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(
        (tuple(r["path"][-1:]), r["reason"], r["category"], r.get("masked", False))
        for r in redactions
    )


@pytest.mark.parametrize("state", list(STATES))
async def test_the_webhook_carries_what_the_apps_graphql_answer_carries(
    installed: Installed, receiver: Receiver, state: str
):
    contact = await _one_the_app_reads(installed)
    changed = await installed.admin(f"mutation($c: ID!) {{ {STATES[state]} }}", {"c": contact})
    assert "errors" not in changed, changed
    await subscribe(installed, receiver.url, ["contact.updated"])
    touched = await installed.admin(TOUCH, {"c": contact})
    assert "errors" not in touched, touched
    await installed.settle()

    webhook = json.loads(receiver.received[-1].body)["data"]
    answer = await installed.as_app(_app_query(), {"c": contact})
    assert (webhook["contact"]["email"] is not None) is SHOWN[state]
    assert webhook["contact"] == answer["data"]["contact"]
    assert _entries(webhook["redactions"]) == _entries(
        answer.get("extensions", {}).get("redactions", [])
    )


async def test_an_erasure_is_passed_on_with_the_id_only(installed: Installed, receiver: Receiver):
    contacts = await installed.admin("{ contacts(first: 1) { nodes { id } } }")
    contact = contacts["data"]["contacts"]["nodes"][0]["id"]
    await subscribe(installed, receiver.url, ["contact.erased"])
    erased = await installed.admin(f"mutation($c: ID!) {{ {STATES['erased']} }}", {"c": contact})
    assert "errors" not in erased, erased
    await installed.settle()
    body = json.loads(receiver.received[0].body)
    assert body["type"] == "contact.erased"
    assert body["data"] == {"id": contact}
