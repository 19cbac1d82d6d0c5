"""Issue 8, consent integrity: the role that benefits never grants itself consent, and an
objection is withdrawn only by a privacy admin, on the person's request.

Before the fix marketing could `recordConsent(purpose: MARKETING)` for a person who
never consented and read them in the same payload, and could `withdrawObjection` of
a marketing objection, which the policy calls absolute. Now:
- a grant needs a `source` and `evidence`; a caller whose role acts under the purpose
  being granted (any purpose of its role, whatever the request declares) needs
  PRIVACY_ADMIN (owner, admin);
- `withdrawObjection` needs PRIVACY_ADMIN and `evidence` (the person's privacy request);
- every consent change is audited with its actor.
Every refusal is checked against the database: no consent event, no state, no audit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from auth.permissions import Role
from models import AuditEvent, ConsentEvent, ConsentState, Contact
from resolvers.global_ids import decode_id
from tests.security.conftest import Demo

PROOF = 'source: "web form", evidence: "submission 4711"'
GRANT = (
    "mutation($c: ID!) {{ recordConsent(contact: $c, consent: {{purpose: {purpose}, {proof}}}) "
    "{{ contact {{ id firstName email phone jobTitle }} }} }}"
)
WITHDRAW_OBJECTION = (
    "mutation($c: ID!) { withdrawObjection(contact: $c, purpose: MARKETING, "
    'evidence: "privacy request 12") { contact { id email consents { purpose objected } } } }'
)
STATES = (
    "query { contacts(first: 100) { nodes { id processingRestricted erased "
    "consents { purpose status objected } } } }"
)


async def people(demo: Demo) -> list[dict[str, Any]]:
    answer = await demo.gql(STATES, None, await demo.headers("acme", Role.OWNER))
    return answer["data"]["contacts"]["nodes"]


async def never_consented(demo: Demo) -> str:
    for node in await people(demo):
        if not node["consents"] and not node["processingRestricted"] and not node["erased"]:
            return node["id"]
    raise AssertionError("the demo has no person without consent records")


async def objected_to_marketing(demo: Demo) -> str:
    for node in await people(demo):
        if any(c["purpose"] == "marketing" and c["objected"] for c in node["consents"]):
            return node["id"]
    raise AssertionError("the demo has no person who objected to marketing")


async def history(demo: Demo, contact: str) -> dict[str, Any]:
    """Everything a consent change could touch: the person's events and states, and the
    tenant's change audit (flushed write-behind reads drained first)."""
    await demo.services.extras["audit_sink"].drain()
    contact_id = decode_id(contact)[1]
    async with demo.services.db.session(demo.tenants["acme"].tenant_id) as session:
        events = (
            await session.execute(select(ConsentEvent).where(ConsentEvent.contact_id == contact_id))
        ).scalars()
        states = (
            await session.execute(select(ConsentState).where(ConsentState.contact_id == contact_id))
        ).scalars()
        changes = (
            await session.execute(select(AuditEvent).where(AuditEvent.action != "pii_read"))
        ).scalars()
        return {
            "events": sorted((e.purpose, e.status, e.source, e.evidence) for e in events),
            "states": sorted((s.purpose, s.status, s.objected) for s in states),
            "changes": sorted((a.action, a.detail) for a in changes),
        }


async def change_audit(demo: Demo, action: str) -> list[AuditEvent]:
    async with demo.services.db.session(demo.tenants["acme"].tenant_id) as session:
        rows = await session.execute(select(AuditEvent).where(AuditEvent.action == action))
        return list(rows.scalars())


def refused(answer: dict[str, Any], code: str) -> None:
    assert answer["data"] is None, answer
    assert [e["extensions"]["code"] for e in answer["errors"]] == [code]


async def test_marketing_cannot_grant_itself_marketing_consent_and_read_the_person(
    demo: Demo,
) -> None:
    contact = await never_consented(demo)
    before = await history(demo, contact)
    answer = await demo.gql(
        GRANT.format(purpose="MARKETING", proof=PROOF),
        {"c": contact},
        await demo.headers("acme", Role.MARKETING),
    )
    refused(answer, "FORBIDDEN")
    assert await history(demo, contact) == before


async def test_marketing_cannot_grant_analytics_consent_either(demo: Demo) -> None:
    """Analytics is the role's other purpose: it benefits from that grant too."""
    contact = await never_consented(demo)
    before = await history(demo, contact)
    answer = await demo.gql(
        GRANT.format(purpose="ANALYTICS", proof=PROOF),
        {"c": contact},
        await demo.headers("acme", Role.MARKETING),
    )
    refused(answer, "FORBIDDEN")
    assert await history(demo, contact) == before


async def test_declaring_another_purpose_does_not_let_marketing_grant_marketing_consent(
    demo: Demo,
) -> None:
    contact = await never_consented(demo)
    before = await history(demo, contact)
    headers = {**await demo.headers("acme", Role.MARKETING), "x-ledgerline-purpose": "analytics"}
    answer = await demo.gql(GRANT.format(purpose="MARKETING", proof=PROOF), {"c": contact}, headers)
    refused(answer, "FORBIDDEN")
    assert await history(demo, contact) == before


async def test_sales_cannot_grant_itself_sales_consent_the_person_withdrew(demo: Demo) -> None:
    contact = await never_consented(demo)
    owner = await demo.headers("acme", Role.OWNER)
    withdrawn = await demo.gql(
        "mutation($c: ID!) { withdrawConsent(contact: $c, purpose: SALES) { contact { id } } }",
        {"c": contact},
        owner,
    )
    assert "errors" not in withdrawn, withdrawn
    before = await history(demo, contact)
    answer = await demo.gql(
        GRANT.format(purpose="SALES", proof=PROOF),
        {"c": contact},
        await demo.headers("acme", Role.SALES),
    )
    refused(answer, "FORBIDDEN")
    assert await history(demo, contact) == before


async def test_marketing_cannot_create_a_person_with_marketing_consent(demo: Demo) -> None:
    async def count() -> int:
        async with demo.services.db.session(demo.tenants["acme"].tenant_id) as session:
            return len((await session.execute(select(Contact.id))).all())

    before = await count()
    answer = await demo.gql(
        'mutation { createContact(input: {firstName: "Quinn", email: "quinn@example.org"}, '
        f"consents: [{{purpose: MARKETING, {PROOF}}}]) {{ contact {{ id email }} }} }}",
        None,
        await demo.headers("acme", Role.MARKETING),
    )
    refused(answer, "FORBIDDEN")
    assert await count() == before


async def test_a_grant_without_a_source_is_refused(demo: Demo) -> None:
    contact = await never_consented(demo)
    before = await history(demo, contact)
    answer = await demo.gql(
        GRANT.format(purpose="MARKETING", proof='evidence: "submission 4711"'),
        {"c": contact},
        await demo.headers("acme", Role.OWNER),
    )
    refused(answer, "BAD_USER_INPUT")
    assert answer["errors"][0]["extensions"]["field"] == "source"
    assert await history(demo, contact) == before


async def test_a_grant_with_blank_evidence_is_refused(demo: Demo) -> None:
    contact = await never_consented(demo)
    before = await history(demo, contact)
    answer = await demo.gql(
        GRANT.format(purpose="MARKETING", proof='source: "web form", evidence: "   "'),
        {"c": contact},
        await demo.headers("acme", Role.OWNER),
    )
    refused(answer, "BAD_USER_INPUT")
    assert answer["errors"][0]["extensions"]["field"] == "evidence"
    assert await history(demo, contact) == before


async def test_a_grant_by_a_role_that_does_not_benefit_is_audited_with_actor_and_purpose(
    demo: Demo,
) -> None:
    """Marketing does not act under sales: it may record the person's sales consent,
    with its source and evidence, audited as marketing under the purpose it declared."""
    contact = await never_consented(demo)
    headers = {**await demo.headers("acme", Role.MARKETING), "x-ledgerline-purpose": "analytics"}
    answer = await demo.gql(GRANT.format(purpose="SALES", proof=PROOF), {"c": contact}, headers)
    assert "errors" not in answer, answer
    after = await history(demo, contact)
    assert after["events"] == [("sales", "granted", "web form", "submission 4711")]
    [audit] = await change_audit(demo, "consent_granted")
    assert audit.actor_id == demo.tenants["acme"].users[Role.MARKETING]
    assert audit.purposes == "analytics"
    assert audit.detail.startswith(f"contact {decode_id(contact)[1]} purpose sales event ")
    assert "web form" not in audit.detail and "4711" not in audit.detail


async def test_marketing_cannot_withdraw_an_objection_to_marketing(demo: Demo) -> None:
    contact = await objected_to_marketing(demo)
    before = await history(demo, contact)
    answer = await demo.gql(
        WITHDRAW_OBJECTION, {"c": contact}, await demo.headers("acme", Role.MARKETING)
    )
    refused(answer, "FORBIDDEN")
    assert await history(demo, contact) == before


async def test_sales_cannot_withdraw_an_objection(demo: Demo) -> None:
    contact = await objected_to_marketing(demo)
    before = await history(demo, contact)
    answer = await demo.gql(
        WITHDRAW_OBJECTION, {"c": contact}, await demo.headers("acme", Role.SALES)
    )
    refused(answer, "FORBIDDEN")
    assert await history(demo, contact) == before


async def test_withdrawing_an_objection_without_evidence_is_refused(demo: Demo) -> None:
    contact = await objected_to_marketing(demo)
    before = await history(demo, contact)
    answer = await demo.gql(
        'mutation($c: ID!) { withdrawObjection(contact: $c, purpose: MARKETING, evidence: " ") '
        "{ contact { id } } }",
        {"c": contact},
        await demo.headers("acme", Role.ADMIN),
    )
    refused(answer, "BAD_USER_INPUT")
    assert answer["errors"][0]["extensions"]["field"] == "evidence"
    assert await history(demo, contact) == before


async def test_an_admin_withdraws_an_objection_on_evidence_audited_with_the_actor(
    demo: Demo,
) -> None:
    contact = await objected_to_marketing(demo)
    answer = await demo.gql(
        WITHDRAW_OBJECTION, {"c": contact}, await demo.headers("acme", Role.ADMIN)
    )
    assert "errors" not in answer, answer
    after = await history(demo, contact)
    assert ("marketing", "objection_withdrawn", None, "privacy request 12") in after["events"]
    assert ("marketing", "granted", False) in after["states"]
    [audit] = await change_audit(demo, "consent_objection_withdrawn")
    assert audit.actor_id == demo.tenants["acme"].users[Role.ADMIN]
    assert audit.detail.startswith(f"contact {decode_id(contact)[1]} purpose marketing event ")
