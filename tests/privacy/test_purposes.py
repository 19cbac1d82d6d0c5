"""Policy sections 3 and 6: what each purpose may use, and which need consent."""

from auth.permissions import Permission
from privacy.categories import DataCategory
from privacy.decision import FieldPolicy, PurposeStanding, Reason, SubjectState, Verdict, decide
from privacy.purposes import PURPOSES, Purpose

EMAIL = FieldPolicy(DataCategory.EMAIL, Permission.CONTACTS_READ_PII)
READER = frozenset({Permission.CONTACTS_READ_PII, Permission.CONSENT_READ})


def test_third_party_sharing_needs_the_persons_consent():
    decision = decide(READER, (Purpose.THIRD_PARTY_SHARING,), EMAIL, SubjectState())
    assert (decision.verdict, decision.reason) == (Verdict.REDACT, Reason.NO_CONSENT)


def test_third_party_sharing_with_consent_may_use_the_email():
    granted = SubjectState(
        purposes={Purpose.THIRD_PARTY_SHARING: PurposeStanding("granted", "consent")}
    )
    assert decide(READER, (Purpose.THIRD_PARTY_SHARING,), EMAIL, granted).verdict is Verdict.SHOW


def test_third_party_sharing_never_receives_phone_numbers():
    phone = FieldPolicy(DataCategory.PHONE, Permission.CONTACTS_READ_PII)
    granted = SubjectState(
        purposes={Purpose.THIRD_PARTY_SHARING: PurposeStanding("granted", "consent")}
    )
    decision = decide(READER, (Purpose.THIRD_PARTY_SHARING,), phone, granted)
    assert decision.reason is Reason.PURPOSE_NOT_PERMITTED


def test_every_consent_based_purpose_has_no_default_basis():
    for purpose, rule in PURPOSES.items():
        assert (rule.default_basis is None) == rule.requires_consent, purpose
