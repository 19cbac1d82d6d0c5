"""Who may record which consent change (privacy.consent.may_record, missing_evidence),
for every role, purpose and change: written out by hand from the rule.

- A grant for a purpose the role acts under needs PRIVACY_ADMIN (owner, admin).
- Withdrawing an objection needs PRIVACY_ADMIN.
- Withdrawals and objections only narrow: CONSENT_WRITE (checked by the field) suffices.
"""

from __future__ import annotations

import pytest

from auth.permissions import ROLE_GRANTS, Role
from privacy.consent import ConsentRecord, may_record, missing_evidence
from privacy.purposes import Purpose

PU = Purpose
GRANTABLE: dict[Role, set[Purpose]] = {
    Role.OWNER: set(Purpose),
    Role.ADMIN: set(Purpose),
    Role.SALES: set(Purpose) - {PU.SALES},
    Role.MARKETING: set(Purpose) - {PU.MARKETING, PU.ANALYTICS},
    Role.SUPPORT: set(Purpose) - {PU.SUPPORT},
    Role.READ_ONLY: set(Purpose) - {PU.ANALYTICS},
}
"""Purposes each role may record a grant for (support and read_only lack CONSENT_WRITE,
so the field refuses them before this rule is asked)."""
UNOBJECTS = {Role.OWNER, Role.ADMIN}


def _may(role: Role, record: ConsentRecord) -> bool:
    grant = ROLE_GRANTS[role]
    return may_record(record, permissions=grant.permissions, role_purposes=grant.purposes)


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
@pytest.mark.parametrize("purpose", list(Purpose), ids=[p.value for p in Purpose])
def test_who_may_grant_consent(role: Role, purpose: Purpose) -> None:
    record = ConsentRecord(purpose, "granted", source="form", evidence="e1")
    assert _may(role, record) is (purpose in GRANTABLE[role])


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
@pytest.mark.parametrize("purpose", list(Purpose), ids=[p.value for p in Purpose])
def test_who_may_withdraw_an_objection(role: Role, purpose: Purpose) -> None:
    record = ConsentRecord(purpose, "objection_withdrawn", evidence="request 1")
    assert _may(role, record) is (role in UNOBJECTS)


@pytest.mark.parametrize("status", ["withdrawn", "objected"])
@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_narrowing_changes_are_never_refused_by_the_rule(role: Role, status: str) -> None:
    for purpose in Purpose:
        assert _may(role, ConsentRecord(purpose, status)) is True


@pytest.mark.parametrize(
    ("record", "missing"),
    [
        (ConsentRecord(PU.SALES, "granted"), "source"),
        (ConsentRecord(PU.SALES, "granted", evidence="e1"), "source"),
        (ConsentRecord(PU.SALES, "granted", source="form"), "evidence"),
        (ConsentRecord(PU.SALES, "granted", source="form", evidence="e1"), None),
        (ConsentRecord(PU.SALES, "objection_withdrawn"), "evidence"),
        (ConsentRecord(PU.SALES, "objection_withdrawn", evidence="request 1"), None),
        (ConsentRecord(PU.SALES, "withdrawn"), None),
        (ConsentRecord(PU.SALES, "objected"), None),
    ],
)
def test_widening_changes_need_their_evidence(record: ConsentRecord, missing: str | None) -> None:
    assert missing_evidence(record) == missing
