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
          "a copy of your data, the facts of its processing and who accessed it, as an "
          "export package (startPrivacyExport on your request, exportMyData for your "
          "account; me and personalDataAccess in the app)",
          ("startPrivacyExport", "exportMyData", "me", "personalDataAccess")),
    Right(RequestKind.PORTABILITY, "Portability",
          "your data in a machine-readable form (JSON and CSV), in the same export package "
          "(startPrivacyExport, exportMyData)", ("startPrivacyExport", "exportMyData")),
    Right(RequestKind.RECTIFICATION, "Rectification",
          "corrected by your organisation (updateContact, applyRectification); your own "
          "account by you (updateMe, changeEmail)",
          ("updateContact", "applyRectification", "updateMe", "changeEmail")),
    Right(RequestKind.ERASURE, "Erasure",
          "your personal data erased, keeping only an anonymous record "
          "(eraseContact, eraseForPrivacyRequest); your own account by you (deleteMyAccount)",
          ("eraseContact", "eraseForPrivacyRequest", "deleteMyAccount")),
    Right(RequestKind.RESTRICTION, "Restriction of processing",
          "your data kept but no longer used (restrictProcessing); lifted only with a "
          "reason, after you are told (liftRestriction)",
          ("restrictProcessing", "liftRestriction")),
    Right(RequestKind.OBJECTION, "Objection",
          "to processing based on legitimate interest or for direct marketing "
          "(recordObjection)", ("recordObjection",)),
    Right(RequestKind.CONSENT_WITHDRAWAL, "Withdrawal of consent",
          "at any time, as easily as it was given (withdrawConsent)", ("withdrawConsent",)),
    Right(RequestKind.OPT_OUT_SALE_SHARING, "Opting out of sharing",
          "with third parties (withdrawConsent for third-party sharing); for your own "
          "account, your browser's Global Privacy Control signal or optOutOfSaleSharing",
          ("withdrawConsent", "optOutOfSaleSharing")),
)  # fmt: skip


FURTHER_RIGHTS: tuple[str, ...] = (
    "Complaint: to a supervisory authority, in particular in the member state where you "
    "live or work (GDPR Art. 77)",
    "No discrimination: for exercising any of these rights (CCPA 1798.125)",
)
"""Rights that are not a request to the organisation."""

HOW_TO_ASK = (
    "Every right below can be exercised with a privacy request, answered within its "
    "legal deadline: in the app (filePrivacyRequest), through the public form "
    "(submitPrivacyRequest), or through your organisation (logPrivacyRequest)"
)


def rights_items() -> tuple[str, ...]:
    """Section 9: how to ask, then each right and what serves it."""
    return (HOW_TO_ASK, *(right.text for right in RIGHTS), *FURTHER_RIGHTS)
