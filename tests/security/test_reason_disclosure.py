"""Issue 8: redaction reasons must not tell a caller without CONSENT_READ what a person
chose.

Support may not read consent, yet `extensions.redactions` told it CONSENT_WITHDRAWN,
OBJECTED, PROCESSING_RESTRICTED or ERASED. Now every reason that comes from the person
reads NOT_PERMITTED_FOR_PURPOSE for such callers; the reasons that depend on the caller
alone (MISSING_PERMISSION, PURPOSE_NOT_PERMITTED) stay, and callers holding
CONSENT_READ keep the detailed reason.

Support reads emails masked (CONTACTS_READ_MASKED_PII) and first names not at all; its
purpose is support, whose default basis is contract, so only a recorded withdrawal, an
objection under legitimate interest, a restriction or an erasure stops it.
"""

from __future__ import annotations

from typing import Any

from auth.permissions import Role
from tests.security.conftest import Demo

SELECTION = "firstName email"
STATE_CHANGES = {
    "withdrawn": "recordConsent(contact: $c, consent: {purpose: SUPPORT, granted: false})",
    "objected": "a: recordConsent(contact: $c, consent: {purpose: SUPPORT, "
    'lawfulBasis: LEGITIMATE_INTEREST, source: "call", evidence: "call log 7"}) '
    "{ contact { id } } b: recordObjection(contact: $c, purpose: SUPPORT)",
    "restricted": "restrictProcessing(contact: $c)",
    "erased": "eraseContact(contact: $c)",
}


async def person_in(demo: Demo, state: str) -> str:
    """A new contact moved into `state` by the owner."""
    owner = await demo.headers("acme", Role.OWNER)
    created = await demo.gql(
        'mutation { createContact(input: {firstName: "Robin", email: "robin@example.org"}) '
        "{ contact { id } } }",
        None,
        owner,
    )
    contact = created["data"]["createContact"]["contact"]["id"]
    answer = await demo.gql(
        f"mutation($c: ID!) {{ {STATE_CHANGES[state]} {{ contact {{ id }} }} }}",
        {"c": contact},
        owner,
    )
    assert "errors" not in answer, answer
    return contact


async def reasons(demo: Demo, role: Role, contact: str) -> list[dict[str, Any]]:
    answer = await demo.gql(
        f"query($id: ID!) {{ contact(id: $id) {{ {SELECTION} }} }}",
        {"id": contact},
        await demo.headers("acme", role),
    )
    assert answer["data"]["contact"] == {"firstName": None, "email": None}
    return answer["extensions"]["redactions"]


def undisclosed() -> list[dict[str, Any]]:
    return [
        {"path": ["contact", "firstName"], "reason": "MISSING_PERMISSION", "category": "NAME"},
        {
            "path": ["contact", "email"],
            "reason": "NOT_PERMITTED_FOR_PURPOSE",
            "category": "EMAIL",
        },
    ]


async def test_support_is_not_told_that_a_person_withdrew_consent(demo: Demo) -> None:
    contact = await person_in(demo, "withdrawn")
    assert await reasons(demo, Role.SUPPORT, contact) == undisclosed()


async def test_support_is_not_told_that_a_person_objected(demo: Demo) -> None:
    contact = await person_in(demo, "objected")
    assert await reasons(demo, Role.SUPPORT, contact) == undisclosed()


async def test_support_is_not_told_that_processing_is_restricted(demo: Demo) -> None:
    contact = await person_in(demo, "restricted")
    assert await reasons(demo, Role.SUPPORT, contact) == undisclosed()


async def test_support_is_not_told_that_a_person_was_erased(demo: Demo) -> None:
    contact = await person_in(demo, "erased")
    assert await reasons(demo, Role.SUPPORT, contact) == undisclosed()


async def test_support_is_told_no_state_of_anyone_in_a_list(demo: Demo) -> None:
    """Through a list (the fast executor): every reason support sees, for every person
    in every demo state, depends on support alone."""
    answer = await demo.gql(
        "{ contacts(first: 100) { nodes { firstName email phone jobTitle address "
        "dateOfBirth notes } } }",
        None,
        await demo.headers("acme", Role.SUPPORT),
    )
    seen = {r["reason"] for r in answer["extensions"]["redactions"]}
    assert seen == {"MISSING_PERMISSION", "NOT_PERMITTED_FOR_PURPOSE"}


async def test_the_detailed_reason_is_kept_for_a_caller_who_may_read_consent(
    demo: Demo,
) -> None:
    """Sales holds CONSENT_READ; for the person support sees as not permitted, sales
    is told the processing is restricted."""
    contact = await person_in(demo, "restricted")
    assert await reasons(demo, Role.SUPPORT, contact) == undisclosed()
    sales = await demo.gql(
        f"query($id: ID!) {{ contact(id: $id) {{ {SELECTION} }} }}",
        {"id": contact},
        await demo.headers("acme", Role.SALES),
    )
    assert sales["extensions"]["redactions"] == [
        {"path": ["contact", "firstName"], "reason": "PROCESSING_RESTRICTED", "category": "NAME"},
        {"path": ["contact", "email"], "reason": "PROCESSING_RESTRICTED", "category": "EMAIL"},
    ]


async def state_flags(demo: Demo, role: Role, contact: str) -> dict[str, Any]:
    return await demo.gql(
        "query($id: ID!) { contact(id: $id) { processingRestricted erased } }",
        {"id": contact},
        await demo.headers("acme", role),
    )


async def test_the_restriction_and_erasure_flags_are_withheld_from_callers_without_consent_read(
    demo: Demo,
) -> None:
    for state in ("restricted", "erased"):
        contact = await person_in(demo, state)
        for role in (Role.SUPPORT, Role.READ_ONLY):
            answer = await state_flags(demo, role, contact)
            assert answer["data"]["contact"] == {"processingRestricted": None, "erased": None}
            assert answer["extensions"]["redactions"] == [
                {
                    "path": ["contact", field],
                    "reason": "MISSING_PERMISSION",
                    "category": "PRIVACY_CHOICES",
                }
                for field in ("processingRestricted", "erased")
            ]


async def test_consent_readers_still_see_the_restriction_and_erasure_flags(demo: Demo) -> None:
    restricted = await person_in(demo, "restricted")
    erased = await person_in(demo, "erased")
    for role in (Role.SALES, Role.MARKETING, Role.OWNER):
        answer = await state_flags(demo, role, restricted)
        assert answer["data"]["contact"] == {"processingRestricted": True, "erased": False}
        answer = await state_flags(demo, role, erased)
        assert answer["data"]["contact"]["erased"] is True
