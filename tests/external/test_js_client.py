"""A real JavaScript client (Apollo Client 4 on Node 20, tests/external/js/client.mjs)
signs in, pages contacts with a nested relation, creates a contact and reads the
redactions a marketing user gets in `extensions.redactions`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from privacy.decision import Reason
from tests.external.conftest import DEMO_PASSWORD, LiveServer

pytestmark = pytest.mark.external

REASONS = {reason.value for reason in Reason}  # the documented set (privacy/decision.py)


@pytest.fixture(scope="module")
def run(ledgerline_server: LiveServer, run_node: Callable[..., Any]) -> dict[str, Any]:
    return run_node("client.mjs", ledgerline_server.graphql_url, DEMO_PASSWORD)


def _value_at(data: Any, path: list[str | int]) -> Any:
    for step in path:
        data = data[step]
    return data


def test_log_in_returns_a_token_and_the_account(run: dict[str, Any]) -> None:
    assert run["salesLogIn"]["status"] == 200
    assert run["salesLogIn"]["me"]["email"] == "sales@acme.example"
    assert run["salesLogIn"]["me"]["role"] == "SALES"
    assert run["salesLogIn"]["tokenLength"] > 100
    assert run["marketingLogIn"]["me"]["role"] == "MARKETING"


def test_a_page_of_contacts_with_their_company(run: dict[str, Any]) -> None:
    page = run["salesContacts"]
    assert page["status"] == 200 and page["errors"] == []
    contacts = page["data"]["contacts"]
    assert contacts["totalCount"] >= 5
    nodes = contacts["nodes"]
    assert len(nodes) == 5
    for node in nodes:
        assert set(node) == {"id", "firstName", "email", "company", "__typename"}
        assert node["__typename"] == "Contact" and isinstance(node["id"], str) and node["id"]
        assert node["company"] is None or (
            isinstance(node["company"]["name"], str) and node["company"]["__typename"] == "Company"
        )
    assert any(node["company"] for node in nodes), "no contact of the page has a company"
    # sales acts under the sales purpose: the demo page is not all redacted
    assert any(node["firstName"] and node["email"] for node in nodes)


def test_create_contact_returns_the_new_contact(run: dict[str, Any]) -> None:
    created = run["createContact"]
    assert created["status"] == 200 and created["errors"] == []
    contact = created["data"]["createContact"]["contact"]
    sent = created["input"]
    assert contact["id"] and contact["__typename"] == "Contact"
    assert contact["firstName"] == sent["firstName"]
    assert contact["lastName"] == sent["lastName"]
    assert contact["email"] == sent["email"]
    assert contact["lifecycleStage"] == sent["lifecycleStage"]


def test_marketing_sees_redactions_in_the_extensions(run: dict[str, Any]) -> None:
    page = run["marketingContacts"]
    assert page["status"] == 200 and page["errors"] == [], "a redaction is never an error"
    redactions = (page["extensions"] or {}).get("redactions")
    assert redactions, f"no extensions.redactions for marketing: {page['extensions']!r}"
    data = page["data"]
    for entry in redactions:
        assert entry["reason"] in REASONS, entry
        assert isinstance(entry["category"], str) and entry["category"], entry
        path = entry["path"]
        assert path[:2] == ["contacts", "nodes"] and path[-1] in {"firstName", "email"}, entry
        if not entry.get("masked"):
            assert _value_at(data, path) is None, f"redacted value is not null: {entry}"
    # the contact sales just created has no marketing consent: redacted for marketing
    created_id = run["createContact"]["data"]["createContact"]["contact"]["id"]
    created_index = [n["id"] for n in data["contacts"]["nodes"]].index(created_id)
    reasons = {
        tuple(e["path"][2:]): e["reason"] for e in redactions if e["path"][2] == created_index
    }
    assert reasons == {
        (created_index, "firstName"): "NO_CONSENT",
        (created_index, "email"): "NO_CONSENT",
    }
