"""Issue 10, "Rectification, restriction, objection": an admin applies a verified
rectification request to the contact's fields (the audit names the categories
corrected, never the values; the request completes with its evidence), and lifting a
restriction needs its reason and records when the person was told (GDPR Art. 18(3)).
Over HTTP as acme's owner."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from auth.permissions import Role
from models import AuditEvent, ProcessingEvent
from resolvers.global_ids import decode_id
from tests.security.conftest import Demo, unique_email

CREATE = """
mutation($input: CreateContactInput!) { createContact(input: $input) { contact { id } } }
"""
LOG = """
mutation($c: ID!, $k: PrivacyRequestKind!) {
  logPrivacyRequest(input: {contact: $c, kind: $k, channel: EMAIL}) { request { id } }
}
"""
VERIFY = """
mutation($r: ID!) {
  verifyPrivacyRequest(request: $r, method: EMAIL_CONFIRMATION) { request { id } }
}
"""
RECTIFY = """
mutation($r: ID!, $changes: UpdateContactInput!, $evidence: String!) {
  applyRectification(request: $r, changes: $changes, evidence: $evidence) {
    request { status completionEvidence completedAt }
  }
}
"""
CONTACT = "query($id: ID!) { contact(id: $id) { email city processingRestricted } }"
RESTRICT = "mutation($c: ID!) { restrictProcessing(contact: $c) { contact { id } } }"
LIFT = """
mutation($c: ID!, $reason: String, $at: DateTime) {
  liftRestriction(contact: $c, reason: $reason, personInformedAt: $at) {
    contact { processingRestricted }
  }
}
"""
OLD_CITY, NEW_CITY = "Oldtown", "Newcastle"
EVIDENCE = "Corrected on the person's email of 3 December"
TOLD_AT = "2026-01-05T09:00:00+00:00"


def code(answer: dict[str, Any]) -> str:
    return answer["errors"][0]["extensions"]["code"]


async def owner(demo: Demo) -> dict[str, str]:
    return await demo.headers("acme", Role.OWNER)


async def contact(demo: Demo, headers: dict[str, str]) -> str:
    values = {"firstName": "Rhea", "email": unique_email(), "city": OLD_CITY}
    answer = await demo.gql(CREATE, {"input": values}, headers)
    return answer["data"]["createContact"]["contact"]["id"]


async def verified_request(
    demo: Demo, headers: dict[str, str], contact_id: str, kind: str = "RECTIFICATION"
) -> str:
    logged = await demo.gql(LOG, {"c": contact_id, "k": kind}, headers)
    request_id = logged["data"]["logPrivacyRequest"]["request"]["id"]
    assert "errors" not in await demo.gql(VERIFY, {"r": request_id}, headers)
    return request_id


async def rectify(
    demo: Demo, headers: dict[str, str], request_id: str, changes: dict[str, Any]
) -> dict[str, Any]:
    variables = {"r": request_id, "changes": changes, "evidence": EVIDENCE}
    return await demo.gql(RECTIFY, variables, headers)


async def audit_details(demo: Demo) -> dict[str, list[str]]:
    async with demo.services.db.session(demo.tenants["acme"].tenant_id) as session:
        rows = (await session.execute(select(AuditEvent.action, AuditEvent.detail))).all()
    found: dict[str, list[str]] = {}
    for action, detail in rows:
        found.setdefault(action, []).append(detail or "")
    return found


async def lifting_events(demo: Demo) -> list[ProcessingEvent]:
    async with demo.services.db.session(demo.tenants["acme"].tenant_id) as session:
        return list(
            (
                await session.execute(
                    select(ProcessingEvent).where(ProcessingEvent.kind == "restriction_lifted")
                )
            ).scalars()
        )


# --- rectification -----------------------------------------------------------------------


async def test_a_rectification_corrects_the_fields_and_completes_with_evidence(
    demo: Demo,
) -> None:
    headers = await owner(demo)
    contact_id = await contact(demo, headers)
    request_id = await verified_request(demo, headers, contact_id)
    new_email = unique_email()
    answer = await rectify(demo, headers, request_id, {"email": new_email, "city": NEW_CITY})
    request = answer["data"]["applyRectification"]["request"]
    assert (request["status"], request["completionEvidence"]) == ("COMPLETED", EVIDENCE)
    shown = await demo.gql(CONTACT, {"id": contact_id}, headers)
    assert shown["data"]["contact"]["email"] == new_email
    assert shown["data"]["contact"]["city"] == NEW_CITY


async def test_the_rectification_audit_names_categories_never_values(demo: Demo) -> None:
    headers = await owner(demo)
    contact_id = await contact(demo, headers)
    request_id = await verified_request(demo, headers, contact_id)
    new_email = unique_email()
    await rectify(demo, headers, request_id, {"email": new_email, "city": NEW_CITY})
    details = await audit_details(demo)
    [rectified] = details["privacy_request_rectified"]
    request_uuid = decode_id(request_id)[1]
    contact_uuid = decode_id(contact_id)[1]
    assert rectified == (
        f"request {request_uuid} contact {contact_uuid} categories EMAIL,POSTAL_ADDRESS"
    )
    everything = repr(details)
    assert new_email not in everything and NEW_CITY not in everything
    assert OLD_CITY not in everything


async def test_a_rectification_of_a_non_personal_field_is_refused(demo: Demo) -> None:
    headers = await owner(demo)
    contact_id = await contact(demo, headers)
    request_id = await verified_request(demo, headers, contact_id)
    answer = await rectify(demo, headers, request_id, {"city": NEW_CITY, "source": "import"})
    assert (code(answer), answer["errors"][0]["extensions"]["field"]) == (
        "BAD_USER_INPUT",
        "changes",
    )
    shown = await demo.gql(CONTACT, {"id": contact_id}, headers)
    assert shown["data"]["contact"]["city"] == OLD_CITY


async def test_only_a_rectification_request_applies(demo: Demo) -> None:
    headers = await owner(demo)
    contact_id = await contact(demo, headers)
    request_id = await verified_request(demo, headers, contact_id, kind="ACCESS")
    answer = await rectify(demo, headers, request_id, {"city": NEW_CITY})
    assert code(answer) == "BAD_USER_INPUT"


async def test_an_unverified_rectification_is_not_applied(demo: Demo) -> None:
    headers = await owner(demo)
    contact_id = await contact(demo, headers)
    logged = await demo.gql(LOG, {"c": contact_id, "k": "RECTIFICATION"}, headers)
    request_id = logged["data"]["logPrivacyRequest"]["request"]["id"]
    answer = await rectify(demo, headers, request_id, {"city": NEW_CITY})
    assert code(answer) == "IDENTITY_NOT_VERIFIED"
    shown = await demo.gql(CONTACT, {"id": contact_id}, headers)
    assert shown["data"]["contact"]["city"] == OLD_CITY


# --- lifting a restriction -------------------------------------------------------------


async def restricted_contact(demo: Demo) -> tuple[dict[str, str], str]:
    headers = await owner(demo)
    contact_id = await contact(demo, headers)
    assert "errors" not in await demo.gql(RESTRICT, {"c": contact_id}, headers)
    return headers, contact_id


async def test_lifting_a_restriction_without_a_reason_is_refused(demo: Demo) -> None:
    headers, contact_id = await restricted_contact(demo)
    answer = await demo.gql(LIFT, {"c": contact_id, "at": TOLD_AT}, headers)
    assert (code(answer), answer["errors"][0]["extensions"]["field"]) == (
        "BAD_USER_INPUT",
        "reason",
    )
    shown = await demo.gql(CONTACT, {"id": contact_id}, headers)
    assert shown["data"]["contact"]["processingRestricted"] is True


async def test_lifting_a_restriction_before_the_person_was_told_is_refused(demo: Demo) -> None:
    headers, contact_id = await restricted_contact(demo)
    answer = await demo.gql(LIFT, {"c": contact_id, "reason": "dispute settled"}, headers)
    assert (code(answer), answer["errors"][0]["extensions"]["field"]) == (
        "BAD_USER_INPUT",
        "personInformedAt",
    )
    assert await lifting_events(demo) == []


async def test_lifting_records_the_reason_and_when_the_person_was_told(demo: Demo) -> None:
    headers, contact_id = await restricted_contact(demo)
    variables = {"c": contact_id, "reason": "dispute settled", "at": TOLD_AT}
    answer = await demo.gql(LIFT, variables, headers)
    assert answer["data"]["liftRestriction"]["contact"]["processingRestricted"] is False
    [event] = await lifting_events(demo)
    assert (event.reason, event.subject_informed_at.isoformat()) == ("dispute settled", TOLD_AT)
