"""`explainAccess` (issue 14): the access decision for one field of one contact, step
by step, from the one decision function, with the records the person's state comes
from; another tenant's contact answers exactly like one that never existed."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from auth.permissions import Role
from auth.principal import Principal
from resolvers.global_ids import encode_id
from tests.support.results import errors
from tests.support.world import Runner, TenantWorld

EXPLAIN = """
query($c: ID!, $f: String!) {
  explainAccess(contact: $c, field: $f) {
    outcome reason erased restricted
    steps { check passed purpose reason lawfulBasis }
    purposes { purpose usesCategory consentStatus objected
               consentRecord { status source recordedAt } }
    restrictionRecord { kind recordedAt }
  }
}
"""
READ = "query($c: ID!) { contact(id: $c) { email phone dateOfBirth notes } }"
CONSENT = """
mutation($c: ID!, $p: Purpose!, $g: Boolean!) {
  recordConsent(contact: $c, consent: {purpose: $p, granted: $g, source: "form",
                evidence: "submission 42"}) { contact { id } }
}
"""
RESTRICT = "mutation($c: ID!) { restrictProcessing(contact: $c) { contact { id } } }"
FIELDS = ("email", "phone", "dateOfBirth", "notes")


async def ok(runner: Runner, principal: Principal, query: str, variables: Any) -> Any:
    result = await runner(principal, query, variables)
    assert result.errors is None, result.errors
    return result


async def new_contact(runner: Runner, world: TenantWorld) -> str:
    result = await ok(
        runner,
        world.principal(Role.SALES),
        'mutation { createContact(input: {firstName: "Ada", email: "ada@example.com", '
        'phone: "+442071838750", dateOfBirth: "1985-12-10", notes: "n"}) { contact { id } } }',
        None,
    )
    return str(result.data["createContact"]["contact"]["id"])


async def explain(runner: Runner, principal: Principal, contact: str, field: str) -> Any:
    result = await ok(runner, principal, EXPLAIN, {"c": contact, "f": field})
    return result.data["explainAccess"]


def api_reason(result: Any, field: str) -> tuple[str, str | None]:
    """(outcome, reason) of `field` as the contact query answered it."""
    for entry in (result.extensions or {}).get("redactions", []):
        if entry["path"][-1] == field:
            return ("MASK" if entry.get("masked") else "REDACT"), entry["reason"]
    return "SHOW", None


@pytest.mark.parametrize("role", [Role.OWNER, Role.SALES, Role.MARKETING])
@pytest.mark.parametrize("state", ["fresh", "consented", "withdrawn", "restricted"])
async def test_the_explanation_agrees_with_what_the_api_sends(
    runner: Runner, tenant_a: TenantWorld, role: Role, state: str
) -> None:
    contact = await new_contact(runner, tenant_a)
    admin = tenant_a.principal(Role.OWNER)
    if state in ("consented", "withdrawn"):
        await ok(runner, admin, CONSENT, {"c": contact, "p": "MARKETING", "g": True})
    if state == "withdrawn":
        await ok(runner, admin, CONSENT, {"c": contact, "p": "MARKETING", "g": False})
    if state == "restricted":
        await ok(runner, admin, RESTRICT, {"c": contact})
    caller = tenant_a.principal(role)
    read = await ok(runner, caller, READ, {"c": contact})
    for field in FIELDS:
        explained = await explain(runner, caller, contact, field)
        assert (explained["outcome"], explained["reason"]) == api_reason(read, field), field


async def test_each_check_is_listed_with_the_lawful_basis_relied_on(
    runner: Runner, tenant_a: TenantWorld
) -> None:
    contact = await new_contact(runner, tenant_a)
    explained = await explain(runner, tenant_a.principal(Role.SALES), contact, "email")
    assert explained["steps"] == [
        {"check": "PERMISSION", "passed": True, "purpose": None, "reason": None,
         "lawfulBasis": None},
        {"check": "PURPOSE_USES_CATEGORY", "passed": True, "purpose": "SALES", "reason": None,
         "lawfulBasis": None},
        {"check": "ERASURE", "passed": True, "purpose": None, "reason": None,
         "lawfulBasis": None},
        {"check": "RESTRICTION", "passed": True, "purpose": None, "reason": None,
         "lawfulBasis": None},
        {"check": "LAWFUL_BASIS", "passed": True, "purpose": "SALES", "reason": None,
         "lawfulBasis": "legitimate_interest"},
    ]  # fmt: skip
    assert (explained["outcome"], explained["reason"]) == ("SHOW", None)


async def test_a_withdrawn_consent_is_traced_to_its_record(
    runner: Runner, tenant_a: TenantWorld
) -> None:
    contact = await new_contact(runner, tenant_a)
    admin = tenant_a.principal(Role.OWNER)
    await ok(runner, admin, CONSENT, {"c": contact, "p": "MARKETING", "g": True})
    await ok(runner, admin, CONSENT, {"c": contact, "p": "MARKETING", "g": False})
    explained = await explain(runner, tenant_a.principal(Role.MARKETING), contact, "email")
    [marketing] = explained["purposes"]
    assert marketing["consentStatus"] == "withdrawn"
    assert marketing["consentRecord"]["status"] == "withdrawn"
    assert marketing["consentRecord"]["source"] == "form"
    assert marketing["consentRecord"]["recordedAt"]
    assert explained["steps"][-1] == {
        "check": "LAWFUL_BASIS", "passed": False, "purpose": "MARKETING",
        "reason": "CONSENT_WITHDRAWN", "lawfulBasis": None,
    }  # fmt: skip


async def test_a_restriction_is_traced_to_its_event(runner: Runner, tenant_a: TenantWorld) -> None:
    contact = await new_contact(runner, tenant_a)
    await ok(runner, tenant_a.principal(Role.OWNER), RESTRICT, {"c": contact})
    explained = await explain(runner, tenant_a.principal(Role.SALES), contact, "email")
    assert explained["restricted"] is True
    assert explained["restrictionRecord"]["kind"] == "restricted"
    assert explained["steps"][-1]["check"] == "RESTRICTION"
    assert explained["reason"] == "PROCESSING_RESTRICTED"


async def test_another_tenants_contact_answers_like_one_that_never_existed(
    runner: Runner, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    theirs = await new_contact(runner, tenant_b)
    caller = tenant_a.principal(Role.OWNER)
    other = await runner(caller, EXPLAIN, {"c": theirs, "f": "email"})
    never = await runner(caller, EXPLAIN, {"c": encode_id("Contact", uuid.uuid4()), "f": "email"})
    assert (other.data, errors(other)) == (never.data, errors(never))
    assert errors(other)[0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_field_that_is_not_personal_data_is_bad_user_input(
    runner: Runner, tenant_a: TenantWorld
) -> None:
    contact = await new_contact(runner, tenant_a)
    result = await runner(tenant_a.principal(Role.OWNER), EXPLAIN, {"c": contact, "f": "id"})
    assert errors(result)[0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "field"}


async def test_a_role_that_may_not_read_consent_is_refused(
    runner: Runner, tenant_a: TenantWorld
) -> None:
    contact = await new_contact(runner, tenant_a)
    result = await runner(tenant_a.principal(Role.SUPPORT), EXPLAIN, {"c": contact, "f": "email"})
    assert errors(result)[0]["extensions"]["code"] == "FORBIDDEN"


def test_every_redaction_reason_is_documented_in_the_sdl() -> None:
    from privacy.decision import Reason
    from schema.build import build_schema

    enum_type: Any = build_schema()._schema.get_type("RedactionReason")
    assert set(enum_type.values) == {r.value for r in Reason}
    assert all(value.description for value in enum_type.values.values())
