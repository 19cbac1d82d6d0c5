"""Privacy requests through the API (issue 10): logging, filing, the status changes and
their audit, duplicates, deadlines and the refusals (each of which writes nothing)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from auth.permissions import Role
from core.services import Services
from models import AuditEvent, PrivacyRequest
from models.base import utcnow
from privacy.deadlines import add_months
from resolvers.global_ids import encode_id
from tests.support.world import Runner, TenantWorld

LOG = """
mutation($input: LogPrivacyRequestInput!) {
  logPrivacyRequest(input: $input) {
    duplicateOf
    request { id kind status verification dueOn acknowledgeBy daysRemaining overdue repeats
              contactId accountId jurisdiction timeZone channel requester }
  }
}
"""
FILE = """
mutation($kind: PrivacyRequestKind!) {
  filePrivacyRequest(kind: $kind) { duplicateOf request { id kind status jurisdiction dueOn } }
}
"""
CHANGE = "mutation($id: ID!) {{ {name}(request: $id{extra}) {{ request {{ {fields} }} }} }}"
FIELDS = "id status verification verificationMethod verifiedBy dueOn extendedAt extensionReason"
LIST = """
query($status: PrivacyRequestStatus, $overdueFirst: Boolean!) {
  privacyRequests(status: $status, overdueFirst: $overdueFirst) { id status daysRemaining overdue }
}
"""


def errors(result: Any) -> list[str]:
    return [(e.extensions or {}).get("code") for e in result.errors or []]


@pytest.fixture
def admin(tenant_a: TenantWorld) -> Any:
    return tenant_a.principal(Role.ADMIN)


@pytest.fixture
async def contact(runner: Runner, tenant_a: TenantWorld) -> str:
    result = await runner(
        tenant_a.principal(Role.OWNER),
        'mutation { createContact(input: {firstName: "Dana"}) { contact { id } } }',
    )
    assert result.errors is None, result.errors
    return result.data["createContact"]["contact"]["id"]


async def log(runner: Runner, principal: Any, contact: str, **fields: Any) -> Any:
    given = {"contact": contact, "kind": "ACCESS", "channel": "EMAIL", **fields}
    return await runner(principal, LOG, {"input": given})


async def logged(runner: Runner, principal: Any, contact: str, **fields: Any) -> dict[str, Any]:
    result = await log(runner, principal, contact, **fields)
    assert result.errors is None, result.errors
    return result.data["logPrivacyRequest"]


async def change(
    runner: Runner, principal: Any, name: str, request_id: str, extra: str = ""
) -> Any:
    document = CHANGE.format(name=name, extra=extra, fields=FIELDS)
    return await runner(principal, document, {"id": request_id})


async def rows(services: Services, world: TenantWorld) -> list[dict[str, Any]]:
    async with services.db.session(world.tenant_id) as session:
        found = (await session.execute(select(PrivacyRequest))).scalars().all()
        return [r.model_dump() for r in found]


async def actions(services: Services, world: TenantWorld) -> list[tuple[str, str]]:
    async with services.db.session(world.tenant_id) as session:
        found = await session.execute(
            select(AuditEvent.action, AuditEvent.detail)
            .where(AuditEvent.action.startswith("privacy_request"))  # type: ignore[attr-defined]
            .order_by(AuditEvent.occurred_at)
        )
        return [(a, d) for a, d in found]


# --- logging a contact's request -----------------------------------------------------


async def test_an_admin_logs_a_contacts_request_due_in_one_calendar_month_berlin_time(
    runner: Runner, admin: Any, contact: str
) -> None:
    payload = await logged(
        runner, admin, contact,
        receivedAt="2026-01-31T23:30:00+01:00", timeZone="Europe/Berlin", kind="ERASURE",
    )  # fmt: skip
    request = payload["request"]
    assert payload["duplicateOf"] is None
    assert request["kind"] == "ERASURE"
    assert request["status"] == "RECEIVED"
    assert request["verification"] == "UNVERIFIED"
    assert request["dueOn"] == "2026-02-28"
    assert request["acknowledgeBy"] is None
    assert request["contactId"] == contact
    assert request["accountId"] is None
    assert request["jurisdiction"] == "GDPR"
    assert request["timeZone"] == "Europe/Berlin"


async def test_a_ccpa_request_is_due_in_45_days_and_acknowledged_within_10_business_days(
    runner: Runner, admin: Any, contact: str
) -> None:
    payload = await logged(
        runner, admin, contact, jurisdiction="CCPA", receivedAt="2026-01-02T12:00:00Z"
    )
    assert payload["request"]["dueOn"] == "2026-02-16"
    assert payload["request"]["acknowledgeBy"] == "2026-01-16"


async def test_logging_a_request_is_audited_without_free_text(
    runner: Runner, services: Services, tenant_a: TenantWorld, admin: Any, contact: str
) -> None:
    request = (await logged(runner, admin, contact, receivedAt="2026-03-15T10:00:00Z"))["request"]
    [(action, detail)] = await actions(services, tenant_a)
    row_id = (await rows(services, tenant_a))[0]["id"]
    assert action == "privacy_request_received"
    assert detail.startswith(f"request {row_id} kind access contact ")
    assert detail.endswith("due 2026-04-15")
    assert request["dueOn"] == "2026-04-15"


async def test_the_same_kind_for_the_same_contact_while_open_answers_the_open_request(
    runner: Runner, services: Services, tenant_a: TenantWorld, admin: Any, contact: str
) -> None:
    first = (await logged(runner, admin, contact))["request"]
    again = await logged(runner, admin, contact, channel="PHONE")
    assert again["duplicateOf"] == first["id"]
    assert again["request"]["id"] == first["id"]
    assert again["request"]["repeats"] == 1
    assert again["request"]["channel"] == "EMAIL"
    assert len(await rows(services, tenant_a)) == 1
    assert [a for a, _ in await actions(services, tenant_a)] == [
        "privacy_request_received",
        "privacy_request_repeated",
    ]


async def test_another_kind_for_the_same_contact_is_a_new_request(
    runner: Runner, services: Services, tenant_a: TenantWorld, admin: Any, contact: str
) -> None:
    await logged(runner, admin, contact, kind="ACCESS")
    other = await logged(runner, admin, contact, kind="OBJECTION")
    assert other["duplicateOf"] is None
    assert len(await rows(services, tenant_a)) == 2


async def test_a_closed_request_does_not_absorb_a_new_one(
    runner: Runner, services: Services, tenant_a: TenantWorld, admin: Any, contact: str
) -> None:
    first = (await logged(runner, admin, contact))["request"]
    refused = await change(runner, admin, "refusePrivacyRequest", first["id"], ', reason: "x"')
    assert refused.errors is None, refused.errors
    again = await logged(runner, admin, contact)
    assert again["duplicateOf"] is None
    assert again["request"]["id"] != first["id"]
    assert len(await rows(services, tenant_a)) == 2


async def test_a_member_without_privacy_admin_cannot_log_and_nothing_is_written(
    runner: Runner, services: Services, tenant_a: TenantWorld, contact: str
) -> None:
    result = await log(runner, tenant_a.principal(Role.SALES), contact)
    assert errors(result) == ["FORBIDDEN"]
    assert await rows(services, tenant_a) == []
    assert await actions(services, tenant_a) == []


async def test_a_missing_contact_answers_not_found_and_nothing_is_written(
    runner: Runner, services: Services, tenant_a: TenantWorld, admin: Any
) -> None:
    result = await log(runner, admin, encode_id("Contact", uuid.uuid4()))
    assert errors(result) == ["NOT_FOUND"]
    assert await rows(services, tenant_a) == []


async def test_an_unknown_time_zone_is_refused_and_nothing_is_written(
    runner: Runner, services: Services, tenant_a: TenantWorld, admin: Any, contact: str
) -> None:
    result = await log(runner, admin, contact, timeZone="Mars/Olympus_Mons")
    assert errors(result) == ["BAD_USER_INPUT"]
    assert result.errors[0].extensions["field"] == "timeZone"
    assert await rows(services, tenant_a) == []


async def test_a_receipt_time_in_the_future_is_refused_and_nothing_is_written(
    runner: Runner, services: Services, tenant_a: TenantWorld, admin: Any, contact: str
) -> None:
    future = (utcnow() + timedelta(days=2)).isoformat()
    result = await log(runner, admin, contact, receivedAt=future)
    assert errors(result) == ["BAD_USER_INPUT"]
    assert await rows(services, tenant_a) == []


# --- account holders ------------------------------------------------------------------


async def test_an_account_holder_files_a_verified_gdpr_request_about_themselves(
    runner: Runner, services: Services, tenant_a: TenantWorld
) -> None:
    result = await runner(tenant_a.principal(Role.SALES), FILE, {"kind": "PORTABILITY"})
    assert result.errors is None, result.errors
    request = result.data["filePrivacyRequest"]["request"]
    assert (request["kind"], request["status"], request["jurisdiction"]) == (
        "PORTABILITY", "RECEIVED", "GDPR",
    )  # fmt: skip
    assert request["dueOn"] == add_months(utcnow().date(), 1).isoformat()
    [row] = await rows(services, tenant_a)
    assert row["user_id"] == tenant_a.users[Role.SALES]
    assert row["contact_id"] is None
    assert (row["channel"], row["verification"], row["verification_method"]) == (
        "in_app", "verified", "signed_in_account",
    )  # fmt: skip


async def test_an_account_holders_repeated_request_answers_the_open_one(
    runner: Runner, services: Services, tenant_a: TenantWorld
) -> None:
    holder = tenant_a.principal(Role.READ_ONLY)
    first = await runner(holder, FILE, {"kind": "ERASURE"})
    again = await runner(holder, FILE, {"kind": "ERASURE"})
    request_id = first.data["filePrivacyRequest"]["request"]["id"]
    assert again.data["filePrivacyRequest"]["duplicateOf"] == request_id
    assert again.data["filePrivacyRequest"]["request"]["id"] == request_id
    assert len(await rows(services, tenant_a)) == 1


async def test_an_account_holder_sees_only_their_own_requests(
    runner: Runner, tenant_a: TenantWorld
) -> None:
    await runner(tenant_a.principal(Role.SALES), FILE, {"kind": "ACCESS"})
    mine = await runner(tenant_a.principal(Role.SUPPORT), "{ myPrivacyRequests { id } }")
    theirs = await runner(tenant_a.principal(Role.SALES), "{ myPrivacyRequests { id kind } }")
    assert mine.data["myPrivacyRequests"] == []
    assert [r["kind"] for r in theirs.data["myPrivacyRequests"]] == ["ACCESS"]


async def test_an_account_holder_without_privacy_admin_cannot_list_requests(
    runner: Runner, tenant_a: TenantWorld
) -> None:
    result = await runner(
        tenant_a.principal(Role.SALES), LIST, {"status": None, "overdueFirst": True}
    )
    assert errors(result) == ["FORBIDDEN"]


# --- handling: verify, start, complete, refuse ----------------------------------------


async def test_verify_start_and_complete_each_change_the_status_and_are_audited(
    runner: Runner, services: Services, tenant_a: TenantWorld, admin: Any, contact: str
) -> None:
    request_id = (await logged(runner, admin, contact))["request"]["id"]
    verified = await change(
        runner, admin, "verifyPrivacyRequest", request_id, ", method: PHONE_CALLBACK"
    )
    started = await change(runner, admin, "startPrivacyRequest", request_id)
    completed = await change(
        runner, admin, "completePrivacyRequest", request_id, ', evidence: "export sent"'
    )
    statuses = [
        r.data[name]["request"]["status"]
        for r, name in (
            (verified, "verifyPrivacyRequest"),
            (started, "startPrivacyRequest"),
            (completed, "completePrivacyRequest"),
        )
    ]
    assert statuses == ["VERIFIED", "IN_PROGRESS", "COMPLETED"]
    request = verified.data["verifyPrivacyRequest"]["request"]
    assert request["verificationMethod"] == "PHONE_CALLBACK"
    assert request["verifiedBy"] == encode_id("Member", tenant_a.users[Role.ADMIN])
    assert [a for a, _ in await actions(services, tenant_a)] == [
        "privacy_request_received",
        "privacy_request_verified",
        "privacy_request_started",
        "privacy_request_completed",
    ]
    [row] = await rows(services, tenant_a)
    assert row["completion_evidence"] == "export sent"
    assert "export sent" not in str(await actions(services, tenant_a))


async def test_starting_an_unverified_request_is_refused_and_changes_nothing(
    runner: Runner, services: Services, tenant_a: TenantWorld, admin: Any, contact: str
) -> None:
    request_id = (await logged(runner, admin, contact))["request"]["id"]
    before = await rows(services, tenant_a)
    result = await change(runner, admin, "startPrivacyRequest", request_id)
    assert errors(result) == ["IDENTITY_NOT_VERIFIED"]
    assert await rows(services, tenant_a) == before
    assert len(await actions(services, tenant_a)) == 1


async def test_completing_an_unverified_request_is_refused_and_changes_nothing(
    runner: Runner, services: Services, tenant_a: TenantWorld, admin: Any, contact: str
) -> None:
    request_id = (await logged(runner, admin, contact))["request"]["id"]
    before = await rows(services, tenant_a)
    result = await change(runner, admin, "completePrivacyRequest", request_id, ', evidence: "done"')
    assert errors(result) == ["IDENTITY_NOT_VERIFIED"]
    assert await rows(services, tenant_a) == before


async def test_completing_without_evidence_is_refused_and_changes_nothing(
    runner: Runner, services: Services, tenant_a: TenantWorld, admin: Any, contact: str
) -> None:
    request_id = (await logged(runner, admin, contact))["request"]["id"]
    await change(runner, admin, "verifyPrivacyRequest", request_id, ", method: IDENTITY_DOCUMENT")
    before = await rows(services, tenant_a)
    result = await change(runner, admin, "completePrivacyRequest", request_id, ', evidence: " "')
    assert errors(result) == ["BAD_USER_INPUT"]
    assert await rows(services, tenant_a) == before


async def test_refusing_records_the_reason_but_does_not_audit_it(
    runner: Runner, services: Services, tenant_a: TenantWorld, admin: Any, contact: str
) -> None:
    request_id = (await logged(runner, admin, contact))["request"]["id"]
    result = await change(
        runner, admin, "refusePrivacyRequest", request_id, ', reason: "manifestly unfounded"'
    )
    assert result.data["refusePrivacyRequest"]["request"]["status"] == "REFUSED"
    [row] = await rows(services, tenant_a)
    assert row["refusal_reason"] == "manifestly unfounded"
    audited = await actions(services, tenant_a)
    assert [a for a, _ in audited] == ["privacy_request_received", "privacy_request_refused"]
    assert "unfounded" not in str(audited)


async def test_refusing_without_a_reason_is_refused_and_changes_nothing(
    runner: Runner, services: Services, tenant_a: TenantWorld, admin: Any, contact: str
) -> None:
    request_id = (await logged(runner, admin, contact))["request"]["id"]
    before = await rows(services, tenant_a)
    result = await change(runner, admin, "refusePrivacyRequest", request_id, ', reason: ""')
    assert errors(result) == ["BAD_USER_INPUT"]
    assert await rows(services, tenant_a) == before


async def test_a_closed_request_can_no_longer_change(
    runner: Runner, services: Services, tenant_a: TenantWorld, admin: Any, contact: str
) -> None:
    request_id = (await logged(runner, admin, contact))["request"]["id"]
    await change(runner, admin, "refusePrivacyRequest", request_id, ', reason: "unfounded"')
    before = await rows(services, tenant_a)
    result = await change(
        runner, admin, "verifyPrivacyRequest", request_id, ", method: PHONE_CALLBACK"
    )
    assert errors(result) == ["PRIVACY_REQUEST_CLOSED"]
    assert await rows(services, tenant_a) == before


async def test_a_missing_request_answers_not_found(runner: Runner, admin: Any) -> None:
    result = await change(
        runner, admin, "startPrivacyRequest", encode_id("PrivacyRequest", uuid.uuid4())
    )
    assert errors(result) == ["NOT_FOUND"]
    assert result.errors[0].message == "No privacy request with this id."


# --- extensions -----------------------------------------------------------------------


async def test_a_gdpr_extension_adds_two_months_and_records_the_reason(
    runner: Runner, services: Services, tenant_a: TenantWorld, admin: Any, contact: str
) -> None:
    request = (await logged(runner, admin, contact))["request"]
    result = await change(
        runner, admin, "extendPrivacyRequest", request["id"], ', reason: "many systems"'
    )
    extended = result.data["extendPrivacyRequest"]["request"]
    first_due = date.fromisoformat(request["dueOn"])
    assert extended["dueOn"] == add_months(first_due, 2).isoformat()
    assert extended["status"] == "EXTENDED"
    assert extended["extensionReason"] == "many systems"
    assert [a for a, _ in await actions(services, tenant_a)][-1] == "privacy_request_extended"


async def test_a_second_extension_is_refused_and_changes_nothing(
    runner: Runner, services: Services, tenant_a: TenantWorld, admin: Any, contact: str
) -> None:
    request_id = (await logged(runner, admin, contact))["request"]["id"]
    await change(runner, admin, "extendPrivacyRequest", request_id, ', reason: "complex"')
    before = (await rows(services, tenant_a), await actions(services, tenant_a))
    result = await change(runner, admin, "extendPrivacyRequest", request_id, ', reason: "more"')
    assert errors(result) == ["EXTENSION_REFUSED"]
    assert (await rows(services, tenant_a), await actions(services, tenant_a)) == before


async def test_an_extension_after_the_due_date_is_refused_and_changes_nothing(
    runner: Runner, services: Services, tenant_a: TenantWorld, admin: Any, contact: str
) -> None:
    received = (utcnow() - timedelta(days=70)).isoformat()
    request_id = (await logged(runner, admin, contact, receivedAt=received))["request"]["id"]
    before = await rows(services, tenant_a)
    result = await change(runner, admin, "extendPrivacyRequest", request_id, ', reason: "late"')
    assert errors(result) == ["EXTENSION_REFUSED"]
    assert await rows(services, tenant_a) == before


async def test_an_extension_without_a_reason_is_refused_and_changes_nothing(
    runner: Runner, services: Services, tenant_a: TenantWorld, admin: Any, contact: str
) -> None:
    request_id = (await logged(runner, admin, contact))["request"]["id"]
    before = await rows(services, tenant_a)
    result = await change(runner, admin, "extendPrivacyRequest", request_id, ', reason: "  "')
    assert errors(result) == ["BAD_USER_INPUT"]
    assert await rows(services, tenant_a) == before


# --- the admins' list -----------------------------------------------------------------


async def test_overdue_requests_come_first_with_negative_days_remaining(
    runner: Runner, admin: Any, contact: str
) -> None:
    recent = (await logged(runner, admin, contact, kind="ACCESS"))["request"]
    old = (utcnow() - timedelta(days=70)).isoformat()
    overdue = (await logged(runner, admin, contact, kind="ERASURE", receivedAt=old))["request"]
    result = await runner(admin, LIST, {"status": None, "overdueFirst": True})
    listed = result.data["privacyRequests"]
    assert [r["id"] for r in listed] == [overdue["id"], recent["id"]]
    assert listed[0]["overdue"] is True
    assert listed[0]["daysRemaining"] < 0
    assert listed[1]["overdue"] is False
    assert (
        listed[1]["daysRemaining"] == (date.fromisoformat(recent["dueOn"]) - utcnow().date()).days
    )


async def test_without_overdue_first_the_newest_request_comes_first(
    runner: Runner, admin: Any, contact: str
) -> None:
    recent = (await logged(runner, admin, contact, kind="ACCESS"))["request"]
    old = (utcnow() - timedelta(days=70)).isoformat()
    overdue = (await logged(runner, admin, contact, kind="ERASURE", receivedAt=old))["request"]
    result = await runner(admin, LIST, {"status": None, "overdueFirst": False})
    assert [r["id"] for r in result.data["privacyRequests"]] == [recent["id"], overdue["id"]]


async def test_the_list_filters_by_status_and_closed_requests_have_no_days_remaining(
    runner: Runner, admin: Any, contact: str
) -> None:
    await logged(runner, admin, contact, kind="ACCESS")
    refused = (await logged(runner, admin, contact, kind="OBJECTION"))["request"]
    await change(runner, admin, "refusePrivacyRequest", refused["id"], ', reason: "unfounded"')
    result = await runner(admin, LIST, {"status": "REFUSED", "overdueFirst": True})
    assert result.data["privacyRequests"] == [
        {"id": refused["id"], "status": "REFUSED", "daysRemaining": None, "overdue": False}
    ]
