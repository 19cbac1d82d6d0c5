"""The pure field decision (privacy/decision.py): show, mask or redact, and why.

Tables written from the purpose rules (privacy/purposes.py) and DESIGN's reasons: one
row per reason and per purpose rule, then the memo (RequestPolicy) against `decide`.
"""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auth.permissions import ROLE_GRANTS, Permission
from privacy.categories import DataCategory as C
from privacy.decision import (
    MASK,
    NO_RECORDS,
    SHOW,
    SUBJECT_REASONS,
    Decision,
    FieldPolicy,
    PurposeStanding,
    Reason,
    RequestPolicy,
    SubjectAccessPolicy,
    SubjectState,
    Verdict,
    decide,
    decide_subject_access,
    purpose_obstacle,
    subject_obstacle,
)
from privacy.masking import MaskStrategy
from privacy.purposes import Purpose

P = Permission
PU = Purpose
FULL = frozenset({P.CONTACTS_READ, P.CONTACTS_READ_PII, P.CONSENT_READ})
"""Reads in full and may read consent: gets the detailed reason."""
NO_CONSENT_READ = FULL - {P.CONSENT_READ}
MASKED = frozenset({P.CONTACTS_READ, P.CONTACTS_READ_MASKED_PII})
"""Like support: masks, and may not read consent."""
MASKED_CONSENT_READ = MASKED | {P.CONSENT_READ}
NONE = frozenset({P.CONTACTS_READ})

EMAIL = FieldPolicy(
    C.EMAIL, P.CONTACTS_READ_PII, MaskStrategy.PARTIAL_EMAIL, P.CONTACTS_READ_MASKED_PII
)
NAME = FieldPolicy(C.NAME, P.CONTACTS_READ_PII)
JOB = FieldPolicy(C.JOB, P.CONTACTS_READ_PII)
DOB = FieldPolicy(C.DATE_OF_BIRTH, P.CONTACTS_READ_PII)
ACCOUNT_EMAIL = FieldPolicy(C.EMAIL, P.MEMBERS_READ_PII, subject_bound=False)


def redact(reason: Reason) -> Decision:
    return Decision(Verdict.REDACT, reason)


def state(erased: bool = False, restricted: bool = False, **standings: PurposeStanding):
    return SubjectState(erased, restricted, {PU[k.upper()]: v for k, v in standings.items()})


def st_(status: str | None = None, basis: str | None = None, objected: bool = False):
    return PurposeStanding(status, basis, objected)


GRANTED = st_("granted", "consent")
WITHDRAWN = st_("withdrawn", "consent")
OBJECTED_ONLY = st_(None, None, True)

SALES = (PU.SALES,)
SUPPORT = (PU.SUPPORT,)
MKT = (PU.MARKETING, PU.ANALYTICS)

DECISIONS = {
    # caller half
    "missing permission": (NONE, SALES, EMAIL, NO_RECORDS, redact(Reason.MISSING_PERMISSION)),
    "missing permission wins over erasure": (
        NONE, SALES, EMAIL, state(erased=True), redact(Reason.MISSING_PERMISSION),
    ),
    "mask permission masks": (MASKED, SUPPORT, EMAIL, NO_RECORDS, MASK),
    "mask reason is missing permission": (
        MASKED, SUPPORT, EMAIL, NO_RECORDS, Decision(Verdict.MASK, Reason.MISSING_PERMISSION),
    ),
    "mask permission without a mask redacts": (
        MASKED, SUPPORT, NAME, NO_RECORDS, redact(Reason.MISSING_PERMISSION),
    ),
    "mask permission and a subject obstacle redacts": (
        MASKED_CONSENT_READ, SUPPORT, EMAIL, state(restricted=True),
        redact(Reason.PROCESSING_RESTRICTED),
    ),
    "full permission shows": (FULL, SALES, EMAIL, NO_RECORDS, SHOW),
    "no subject state: caller half only": (FULL, SALES, DOB, None, SHOW),
    "not subject bound ignores erasure": (
        frozenset({P.MEMBERS_READ_PII}), (), ACCOUNT_EMAIL, state(erased=True), SHOW,
    ),
    # processing flags
    "erased": (FULL, SALES, EMAIL, state(erased=True), redact(Reason.ERASED)),
    "erased wins over restricted": (
        FULL, SALES, EMAIL, state(erased=True, restricted=True), redact(Reason.ERASED),
    ),
    "restricted": (
        FULL, SALES, EMAIL, state(restricted=True), redact(Reason.PROCESSING_RESTRICTED),
    ),
    "restricted even with consent": (
        FULL, MKT, EMAIL, state(restricted=True, marketing=GRANTED),
        redact(Reason.PROCESSING_RESTRICTED),
    ),
    "purpose applicability before restriction": (
        FULL, SALES, DOB, state(restricted=True), redact(Reason.PURPOSE_NOT_PERMITTED),
    ),
    "purpose applicability before erasure": (
        FULL, SALES, DOB, state(erased=True), redact(Reason.PURPOSE_NOT_PERMITTED),
    ),
    # purposes
    "no purpose uses the category": (
        FULL, SALES, DOB, NO_RECORDS, redact(Reason.PURPOSE_NOT_PERMITTED),
    ),
    "no purposes at all": (FULL, (), EMAIL, NO_RECORDS, redact(Reason.PURPOSE_NOT_PERMITTED)),
    # consent-based purpose (marketing)
    "consent-based, nothing recorded": (FULL, MKT, EMAIL, NO_RECORDS, redact(Reason.NO_CONSENT)),
    "consent-based, granted": (FULL, MKT, EMAIL, state(marketing=GRANTED), SHOW),
    "consent-based, withdrawn": (
        FULL, MKT, EMAIL, state(marketing=WITHDRAWN), redact(Reason.CONSENT_WITHDRAWN),
    ),
    "consent-based, granted then objected": (
        FULL, MKT, EMAIL, state(marketing=st_("granted", "consent", True)), redact(Reason.OBJECTED),
    ),
    "consent-based, objection without consent is no consent": (
        FULL, MKT, EMAIL, state(marketing=OBJECTED_ONLY), redact(Reason.NO_CONSENT),
    ),
    "marketing objection is absolute, even under legitimate interest": (
        FULL, MKT, EMAIL, state(marketing=st_("granted", "legitimate_interest", True)),
        redact(Reason.OBJECTED),
    ),
    "marketing objection is absolute, even under contract": (
        FULL, MKT, EMAIL, state(marketing=st_("granted", "contract", True)),
        redact(Reason.OBJECTED),
    ),
    "first purpose's reason when every purpose fails": (
        FULL, MKT, JOB, state(marketing=WITHDRAWN), redact(Reason.CONSENT_WITHDRAWN),
    ),
    "reason follows the role's purpose order": (
        FULL, (PU.ANALYTICS, PU.MARKETING), JOB, state(marketing=WITHDRAWN),
        redact(Reason.NO_CONSENT),
    ),
    "any purpose with a basis is enough": (
        FULL, MKT, JOB, state(marketing=st_("granted", "consent", True), analytics=GRANTED), SHOW,
    ),
    "a purpose that does not use the category cannot help": (
        FULL, MKT, EMAIL, state(analytics=GRANTED), redact(Reason.NO_CONSENT),
    ),
    # legitimate interest (sales' default basis)
    "legitimate interest, nothing recorded": (FULL, SALES, EMAIL, NO_RECORDS, SHOW),
    "legitimate interest, objected": (
        FULL, SALES, EMAIL, state(sales=OBJECTED_ONLY), redact(Reason.OBJECTED),
    ),
    "legitimate interest explicit, objected": (
        FULL, SALES, EMAIL, state(sales=st_("granted", "legitimate_interest", True)),
        redact(Reason.OBJECTED),
    ),
    "legitimate interest, withdrawn": (
        FULL, SALES, EMAIL, state(sales=st_("withdrawn", "legitimate_interest")),
        redact(Reason.CONSENT_WITHDRAWN),
    ),
    "legitimate interest, objection withdrawn": (
        FULL, SALES, EMAIL, state(sales=st_("granted", "legitimate_interest", False)), SHOW,
    ),
    # contract (support's default basis; sales when recorded)
    "contract, nothing recorded": (MASKED, SUPPORT, EMAIL, NO_RECORDS, MASK),
    "contract default, objection ignored": (
        MASKED, SUPPORT, EMAIL, state(support=OBJECTED_ONLY), MASK,
    ),
    "contract recorded for sales, objection ignored": (
        FULL, SALES, EMAIL, state(sales=st_("granted", "contract", True)), SHOW,
    ),
    "legitimate interest recorded for support, objection counts": (
        MASKED_CONSENT_READ, SUPPORT, EMAIL,
        state(support=st_("granted", "legitimate_interest", True)),
        redact(Reason.OBJECTED),
    ),
    "contract, withdrawn": (
        MASKED_CONSENT_READ, SUPPORT, EMAIL, state(support=st_("withdrawn", "contract")),
        redact(Reason.CONSENT_WITHDRAWN),
    ),
    # callers without CONSENT_READ: one reason that says nothing about the person
    "without consent read, no consent": (
        NO_CONSENT_READ, MKT, EMAIL, NO_RECORDS, redact(Reason.NOT_PERMITTED_FOR_PURPOSE),
    ),
    "without consent read, withdrawn": (
        NO_CONSENT_READ, MKT, EMAIL, state(marketing=WITHDRAWN),
        redact(Reason.NOT_PERMITTED_FOR_PURPOSE),
    ),
    "without consent read, objected": (
        NO_CONSENT_READ, SALES, EMAIL, state(sales=OBJECTED_ONLY),
        redact(Reason.NOT_PERMITTED_FOR_PURPOSE),
    ),
    "without consent read, restricted": (
        NO_CONSENT_READ, SALES, EMAIL, state(restricted=True),
        redact(Reason.NOT_PERMITTED_FOR_PURPOSE),
    ),
    "without consent read, erased": (
        NO_CONSENT_READ, SALES, EMAIL, state(erased=True),
        redact(Reason.NOT_PERMITTED_FOR_PURPOSE),
    ),
    "without consent read, a mask reader's withdrawn subject": (
        MASKED, SUPPORT, EMAIL, state(support=st_("withdrawn", "contract")),
        redact(Reason.NOT_PERMITTED_FOR_PURPOSE),
    ),
    "without consent read, a mask reader's objecting subject": (
        MASKED, SUPPORT, EMAIL, state(support=st_("granted", "legitimate_interest", True)),
        redact(Reason.NOT_PERMITTED_FOR_PURPOSE),
    ),
    "without consent read, purpose not permitted stays": (
        NO_CONSENT_READ, SALES, DOB, state(erased=True), redact(Reason.PURPOSE_NOT_PERMITTED),
    ),
    "without consent read, missing permission stays": (
        frozenset({P.CONTACTS_READ}), MKT, NAME, state(marketing=WITHDRAWN),
        redact(Reason.MISSING_PERMISSION),
    ),
    "without consent read, a lawful subject is shown": (
        NO_CONSENT_READ, MKT, EMAIL, state(marketing=GRANTED), SHOW,
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    ("permissions", "purposes", "policy", "subject", "decision"),
    [pytest.param(*row, id=name) for name, row in DECISIONS.items()],
)
def test_decide(permissions, purposes, policy, subject, decision) -> None:
    assert decide(permissions, purposes, policy, subject) == decision


PERSON, SOMEONE_ELSE = uuid.uuid4(), uuid.uuid4()
SUBJECT_ACCESS = {
    "the person's own value": (SubjectState(subject_id=PERSON), SHOW),
    "their own value while restricted and erased": (
        SubjectState(erased=True, restricted=True, subject_id=PERSON), SHOW,
    ),
    "their own value without consent for any purpose": (
        SubjectState(purposes={PU.MARKETING: WITHDRAWN}, subject_id=PERSON), SHOW,
    ),
    "another person's value": (
        SubjectState(subject_id=SOMEONE_ELSE), Decision(Verdict.REDACT, Reason.OTHER_PERSON),
    ),
    "a value of no known subject": (
        SubjectState(), Decision(Verdict.REDACT, Reason.OTHER_PERSON),
    ),
    "no state at all": (None, Decision(Verdict.REDACT, Reason.OTHER_PERSON)),
}  # fmt: skip


@pytest.mark.parametrize(
    ("subject", "decision"), [pytest.param(*row, id=name) for name, row in SUBJECT_ACCESS.items()]
)
def test_subject_access_shows_the_person_their_own_data_and_no_one_else_s(
    subject: SubjectState | None, decision: Decision
) -> None:
    assert decide_subject_access(PERSON, subject) == decision
    assert SubjectAccessPolicy(PERSON).decide(
        FieldPolicy(C.NOTES, P.CONTACTS_READ_PII), subject
    ) == (decision)


def test_every_reason_is_in_the_table() -> None:
    reasons = {row[-1].reason for row in DECISIONS.values()}
    reasons |= {row[-1].reason for row in SUBJECT_ACCESS.values()}
    assert set(Reason) <= reasons


# purpose_obstacle, one row per purpose rule and standing
PURPOSE_RULES = {
    PU.SALES: {
        "none": None, "granted": None, "withdrawn": Reason.CONSENT_WITHDRAWN,
        "objected": Reason.OBJECTED, "granted+objected": Reason.OBJECTED,
        "contract+objected": None, "consent+objected": None,
    },
    PU.SUPPORT: {
        "none": None, "granted": None, "withdrawn": Reason.CONSENT_WITHDRAWN,
        "objected": None, "granted+objected": None, "contract+objected": None,
        "li+objected": Reason.OBJECTED,
    },
    PU.MARKETING: {
        "none": Reason.NO_CONSENT, "granted": None, "withdrawn": Reason.CONSENT_WITHDRAWN,
        "objected": Reason.NO_CONSENT, "granted+objected": Reason.OBJECTED,
        "contract+objected": Reason.OBJECTED, "li+objected": Reason.OBJECTED,
    },
    PU.ANALYTICS: {
        "none": Reason.NO_CONSENT, "granted": None, "withdrawn": Reason.CONSENT_WITHDRAWN,
        "objected": Reason.NO_CONSENT, "granted+objected": Reason.OBJECTED,
    },
    PU.THIRD_PARTY_SHARING: {
        "none": Reason.NO_CONSENT, "granted": None, "withdrawn": Reason.CONSENT_WITHDRAWN,
        "granted+objected": Reason.OBJECTED,
    },
}  # fmt: skip
STANDINGS = {
    "none": None,
    "granted": st_("granted", None),
    "withdrawn": st_("withdrawn", None),
    "objected": OBJECTED_ONLY,
    "granted+objected": st_("granted", None, True),
    "contract+objected": st_("granted", "contract", True),
    "consent+objected": st_("granted", "consent", True),
    "li+objected": st_("granted", "legitimate_interest", True),
}


@pytest.mark.parametrize(
    ("purpose", "standing", "reason"),
    [
        pytest.param(p, s, r, id=f"{p.value}-{s}")
        for p, rows in PURPOSE_RULES.items()
        for s, r in rows.items()
    ],
)
def test_purpose_rule(purpose: Purpose, standing: str, reason: Reason | None) -> None:
    found = STANDINGS[standing]
    subject = SubjectState(purposes={} if found is None else {purpose: found})
    assert purpose_obstacle(purpose, subject) is reason


@settings(max_examples=300)
@given(
    grant=st.sampled_from(list(ROLE_GRANTS.values())),
    policy=st.builds(
        FieldPolicy,
        st.sampled_from(list(C)),
        st.sampled_from([P.CONTACTS_READ_PII, P.ACTIVITIES_READ_CONTENT]),
        st.sampled_from([None, *MaskStrategy]),
        st.sampled_from([None, P.CONTACTS_READ_MASKED_PII]),
    ),
    subject=st.builds(
        SubjectState,
        st.booleans(),
        st.booleans(),
        st.dictionaries(
            st.sampled_from(list(Purpose)),
            st.builds(
                PurposeStanding,
                st.sampled_from([None, "granted", "withdrawn"]),
                st.sampled_from([None, "consent", "contract", "legitimate_interest"]),
                st.booleans(),
            ),
            max_size=5,
        ),
    ),
)
def test_without_consent_read_no_reason_comes_from_the_person(grant, policy, subject) -> None:
    """Same verdict as a consent reader; the reason never names the person's choices."""
    for purpose in grant.purposes:
        without = grant.permissions - {P.CONSENT_READ}
        seen = decide(without, (purpose,), policy, subject)
        detailed = decide(without | {P.CONSENT_READ}, (purpose,), policy, subject)
        assert seen.verdict is detailed.verdict
        assert seen.reason not in SUBJECT_REASONS
        if detailed.reason in SUBJECT_REASONS:
            assert seen.reason is Reason.NOT_PERMITTED_FOR_PURPOSE
        else:
            assert seen.reason is detailed.reason


def test_a_standing_for_another_purpose_changes_nothing() -> None:
    subject = state(marketing=st_("withdrawn", None, True))
    assert purpose_obstacle(PU.SALES, subject) is None
    assert subject_obstacle(SALES, C.EMAIL, subject) is None


# RequestPolicy: the memo returns exactly what decide returns

statuses = st.sampled_from([None, "granted", "withdrawn"])
bases = st.sampled_from([None, "consent", "contract", "legitimate_interest", "legal_obligation"])
standings = st.builds(PurposeStanding, statuses, bases, st.booleans())
subject_states = st.builds(
    SubjectState,
    st.booleans(),
    st.booleans(),
    st.dictionaries(st.sampled_from(list(Purpose)), standings, max_size=5),
)
field_policies = st.builds(
    FieldPolicy,
    st.sampled_from(list(C)),
    st.sampled_from([P.CONTACTS_READ_PII, P.MEMBERS_READ_PII, P.ACTIVITIES_READ_CONTENT]),
    st.sampled_from([None, *MaskStrategy]),
    st.sampled_from([None, P.CONTACTS_READ_MASKED_PII, P.MEMBERS_READ]),
    st.booleans(),
)
grants = st.sampled_from(list(ROLE_GRANTS.values()))


@settings(max_examples=200)
@given(
    grant=grants,
    calls=st.lists(
        st.tuples(field_policies, st.one_of(st.none(), subject_states)), min_size=1, max_size=30
    ),
)
def test_request_policy_memo_equals_decide(grant, calls) -> None:
    memo = RequestPolicy(grant.permissions, grant.purposes)
    for policy, subject in calls:
        want = decide(grant.permissions, grant.purposes, policy, subject)
        assert memo.decide(policy, subject) == want
        assert memo.decide(policy, subject) == want  # and again, from the memo
        if subject is not None:
            twin = SubjectState(subject.erased, subject.restricted, dict(subject.purposes))
            assert memo.decide(policy, twin) == want


def test_memo_keeps_no_state_apart_from_no_records() -> None:
    memo = RequestPolicy(FULL, SALES)
    assert memo.decide(DOB, None) == SHOW
    assert memo.decide(DOB, NO_RECORDS) == redact(Reason.PURPOSE_NOT_PERMITTED)
    assert memo.decide(DOB, None) == SHOW
