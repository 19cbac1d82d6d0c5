"""Erasure is provable and happens once (policy section 9; issue 10): every erasure
leaves an erasure record with no personal data; erasing again answers the same and
writes nothing; an erasure request is carried out, or its blocking hold recorded on it."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from auth.permissions import Role
from core.services import Services
from models import AuditEvent, ErasureRecord, ProcessingEvent, Suppression
from tests.erasure.conftest import DELETE, ERASE, RECORDS, Steps, codes

FOR_REQUEST = """
mutation($r: ID!) { eraseForPrivacyRequest(request: $r) {
  id outcome requestId categories exceptions { kind reason hold } } }
"""
REQUEST = "query($r: ID!) { privacyRequest(id: $r) { status completionEvidence } }"
ON_REQUEST = """
query($r: ID!) { privacyRequest(id: $r) {
  status erasureRecords { outcome exceptions { reason } } } }
"""
MARKER = "cnry-7f3e1d"
PERSON = {
    "firstName": f"{MARKER}-first", "lastName": f"{MARKER}-last",
    "email": f"{MARKER}@example.com", "phone": "+442071838750", "jobTitle": f"{MARKER} job",
    "city": f"{MARKER} city", "notes": f"{MARKER} notes", "source": f"{MARKER}-src",
}  # fmt: skip


async def counts(services: Services, steps: Steps) -> dict[str, int]:
    """Rows written about erasures so far (records, processing events, suppressions,
    audit events of changes: the read audit of the answer is not a change)."""
    found = {}
    async with services.db.session(steps.world.tenant_id) as session:
        for name, model in (
            ("records", ErasureRecord),
            ("events", ProcessingEvent),
            ("suppressions", Suppression),
            ("audit", AuditEvent),
        ):
            rows = (await session.execute(select(model))).scalars().all()
            found[name] = len([r for r in rows if getattr(r, "action", "") != "pii_read"])
    return found


async def records(steps: Steps, **where: Any) -> list[dict[str, Any]]:
    return list((await steps.ok(RECORDS, **where))["erasureRecords"])


async def test_erasing_a_contact_leaves_one_erasure_record(steps: Steps) -> None:
    contact = await steps.contact(**PERSON)
    await steps.ok(ERASE, c=contact)
    [record] = await records(steps, c=contact)
    assert record["outcome"] == "ERASED" and record["recordedBy"] is not None
    assert {"NAME", "EMAIL", "PHONE", "NOTES"} <= set(record["categories"])
    assert {e["kind"] for e in record["exceptions"]} >= {"bookkeeping", "suppression"}


async def test_the_erasure_record_holds_no_personal_data(steps: Steps, services: Services) -> None:
    contact = await steps.contact(**PERSON)
    await steps.ok(ERASE, c=contact)
    async with services.db.session(steps.world.tenant_id) as session:
        [row] = (await session.execute(select(ErasureRecord))).scalars().all()
    assert MARKER not in json.dumps(row.model_dump(mode="json"))


async def test_erasing_again_answers_the_same_and_writes_nothing(
    steps: Steps, services: Services
) -> None:
    contact = await steps.contact(**PERSON)
    first = await steps.ok(ERASE, c=contact)
    before = await counts(services, steps)
    again = await steps.ok(ERASE, c=contact)
    after = await counts(services, steps)
    assert again == first
    assert {k: after[k] for k in ("records", "events", "suppressions")} == {
        k: before[k] for k in ("records", "events", "suppressions")
    }
    assert after["audit"] == before["audit"]


async def test_deleting_an_erased_contact_keeps_its_one_record(steps: Steps) -> None:
    contact = await steps.contact(**PERSON)
    await steps.ok(ERASE, c=contact)
    await steps.ok(DELETE, id=contact)
    assert len(await records(steps, c=contact)) == 1


async def test_an_erasure_request_is_carried_out_and_completed(steps: Steps) -> None:
    contact = await steps.contact(**PERSON)
    request = await steps.request(contact)
    record = (await steps.ok(FOR_REQUEST, r=request))["eraseForPrivacyRequest"]
    assert (record["outcome"], record["requestId"]) == ("ERASED", request)
    answer = (await steps.ok(REQUEST, r=request))["privacyRequest"]
    assert answer["status"] == "COMPLETED" and record["id"] in answer["completionEvidence"]


async def test_an_erasure_request_blocked_by_a_hold_records_its_reason_on_the_request(
    steps: Steps,
) -> None:
    contact = await steps.contact(**PERSON)
    hold = await steps.hold("pending claim CASE-9", contact=contact)
    request = await steps.request(contact)
    record = (await steps.ok(FOR_REQUEST, r=request))["eraseForPrivacyRequest"]
    assert record["outcome"] == "BLOCKED" and record["categories"] == []
    assert record["exceptions"] == [
        {"kind": "legal_hold", "reason": "pending claim CASE-9", "hold": hold}
    ]
    on_request = (await steps.ok(ON_REQUEST, r=request))["privacyRequest"]
    assert on_request["status"] == "VERIFIED"
    assert on_request["erasureRecords"] == [
        {"outcome": "BLOCKED", "exceptions": [{"reason": "pending claim CASE-9"}]}
    ]


async def test_an_unverified_erasure_request_is_not_carried_out(steps: Steps) -> None:
    contact = await steps.contact(**PERSON)
    request = await steps.request(contact, verify=False)
    assert codes(await steps.run(FOR_REQUEST, r=request)) == ["IDENTITY_NOT_VERIFIED"]


async def test_an_access_request_is_not_an_erasure_request(steps: Steps) -> None:
    contact = await steps.contact(**PERSON)
    request = await steps.request(contact, kind="ACCESS")
    assert codes(await steps.run(FOR_REQUEST, r=request)) == ["BAD_USER_INPUT"]


async def test_erasure_records_are_for_privacy_admins_only(steps: Steps) -> None:
    contact = await steps.contact(**PERSON)
    assert codes(await steps.run(RECORDS, Role.SALES, c=contact)) == ["FORBIDDEN"]


async def test_the_audit_of_an_erasure_names_ids_only(steps: Steps, services: Services) -> None:
    contact = await steps.contact(**PERSON)
    await steps.ok(ERASE, c=contact)
    async with services.db.session(steps.world.tenant_id) as session:
        details = (await session.execute(select(AuditEvent.detail))).scalars().all()
    assert details and not any(MARKER in (d or "") for d in details)
