"""The rights the policy lists (section 9) and how each is served: the privacy request
any person can make, and the operation the organisation (or the account holder) uses.

Every kind of privacy request (privacy/request_rules.py `RequestKind`) has its line;
`operations` names GraphQL root fields, and tests/privacy/test_policy_lists.py checks
each against the built schema, so the policy never names an operation that does not
exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from privacy.request_rules import RequestKind


@dataclass(frozen=True)
class Right:
    kind: RequestKind
    name: str
    served_by: str
    operations: tuple[str, ...]

    @property
    def text(self) -> str:
        return f"{self.name}: {self.served_by}"


REQUESTS = ("filePrivacyRequest", "submitPrivacyRequest", "logPrivacyRequest")
"""How a request reaches us: an account holder in the app, anyone through the public
form, or the organisation logging one it received."""

RIGHTS: tuple[Right, ...] = (
    Right(RequestKind.ACCESS, "Access",
          "a copy of your data and who accessed it (me, personalDataAccess)",
          ("me", "personalDataAccess")),
    Right(RequestKind.PORTABILITY, "Portability",
          "your data in a machine-readable form, through a privacy request", ()),
    Right(RequestKind.RECTIFICATION, "Rectification",
          "corrected by your organisation (updateContact)", ("updateContact",)),
    Right(RequestKind.ERASURE, "Erasure",
          "your personal data erased, keeping only an anonymous record "
          "(eraseContact, eraseForPrivacyRequest)",
          ("eraseContact", "eraseForPrivacyRequest")),
    Right(RequestKind.RESTRICTION, "Restriction of processing",
          "your data kept but no longer used (restrictProcessing)", ("restrictProcessing",)),
    Right(RequestKind.OBJECTION, "Objection",
          "to processing based on legitimate interest or for direct marketing "
          "(recordObjection)", ("recordObjection",)),
    Right(RequestKind.CONSENT_WITHDRAWAL, "Withdrawal of consent",
          "at any time, as easily as it was given (withdrawConsent)", ("withdrawConsent",)),
    Right(RequestKind.OPT_OUT_SALE_SHARING, "Opting out of sharing",
          "with third parties (withdrawConsent for third-party sharing)",
          ("withdrawConsent",)),
)  # fmt: skip


def rights_items() -> tuple[str, ...]:
    """Section 9: how to ask, then each right and what serves it."""
    ask = (
        "Every right below can be exercised with a privacy request, answered within its "
        "legal deadline: in the app (filePrivacyRequest), through the public form "
        "(submitPrivacyRequest), or through your organisation (logPrivacyRequest)"
    )
    return (ask, *(right.text for right in RIGHTS))
