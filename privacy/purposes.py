"""The purpose taxonomy (policy section 3) and the lawful bases behind each purpose.

A purpose says which categories it may use, whether it needs the subject's consent,
and which lawful basis applies when the subject's history records none.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from privacy.categories import DataCategory as C


class LawfulBasis(enum.Enum):
    CONSENT = "consent"
    CONTRACT = "contract"
    LEGITIMATE_INTEREST = "legitimate_interest"
    LEGAL_OBLIGATION = "legal_obligation"


class Purpose(enum.Enum):
    SALES = "sales"
    SUPPORT = "support"
    MARKETING = "marketing"
    ANALYTICS = "analytics"
    THIRD_PARTY_SHARING = "third_party_sharing"


@dataclass(frozen=True)
class PurposeRule:
    description: str
    categories: frozenset[C]
    requires_consent: bool
    default_basis: LawfulBasis | None
    """Basis assumed while the subject's history records none (None: consent needed)."""
    objection_absolute: bool = False
    """Direct marketing: an objection wins whatever the basis (GDPR Art. 21(3))."""


PURPOSES: dict[Purpose, PurposeRule] = {
    Purpose.SALES: PurposeRule(
        "Managing the customer relationship and closing deals",
        frozenset({C.NAME, C.EMAIL, C.PHONE, C.POSTAL_ADDRESS, C.JOB, C.NOTES, C.FINANCIAL}),
        requires_consent=False,
        default_basis=LawfulBasis.LEGITIMATE_INTEREST,
    ),
    Purpose.SUPPORT: PurposeRule(
        "Answering the customer's requests for help",
        frozenset({C.NAME, C.EMAIL, C.PHONE, C.JOB, C.NOTES, C.DATE_OF_BIRTH}),
        requires_consent=False,
        default_basis=LawfulBasis.CONTRACT,
    ),
    Purpose.MARKETING: PurposeRule(
        "Direct marketing to the person",
        frozenset({C.NAME, C.EMAIL, C.PHONE, C.POSTAL_ADDRESS, C.JOB, C.DATE_OF_BIRTH}),
        requires_consent=True,
        default_basis=None,
        objection_absolute=True,
    ),
    Purpose.ANALYTICS: PurposeRule(
        "Aggregate reporting about the customer base",
        frozenset({C.JOB, C.POSTAL_ADDRESS, C.DATE_OF_BIRTH}),
        requires_consent=True,
        default_basis=None,
    ),
    Purpose.THIRD_PARTY_SHARING: PurposeRule(
        "Sharing with third-party integrations the tenant connects",
        frozenset({C.NAME, C.EMAIL, C.JOB}),
        requires_consent=True,
        default_basis=None,
    ),
}
