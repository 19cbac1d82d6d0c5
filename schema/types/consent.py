"""Consent history and current state of a contact, per purpose (policy sections 3, 9)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from auth.permissions import Permission as P
from schema.directives import LawfulBasisEnum, PurposeEnum, Requires, TenantScoped  # noqa: E402,F401  (registered once)
from schema.policy import plain_field


@strawberry.type(
    name="ConsentEvent",
    description="One entry of the append-only consent history.",
    directives=[TenantScoped(), Requires(permission=P.CONSENT_READ)],
)
class ConsentEventType:
    purpose: str = plain_field("The purpose (sales, support, marketing, analytics, ...).")
    status: str = plain_field("granted, withdrawn, objected or objection_withdrawn.")
    lawful_basis: str | None = plain_field("consent, contract, legitimate_interest, ...")
    source: str | None = plain_field("Where it was captured (form, call, import...).")
    method: str | None = plain_field("How it was captured (checkbox, verbal, email link...).")
    policy_version: str | None = plain_field("The privacy-policy version shown.")
    evidence: str | None = plain_field("Optional evidence reference (no personal values).")
    recorded_at: datetime = plain_field("When it was recorded.")


@strawberry.type(
    name="ConsentState",
    description="The current state for one purpose, derived from the history.",
    directives=[TenantScoped(), Requires(permission=P.CONSENT_READ)],
)
class ConsentStateType:
    purpose: str = plain_field("The purpose.")
    status: str | None = plain_field("granted, withdrawn, or null when never asked.")
    lawful_basis: str | None = plain_field("The lawful basis on record.")
    objected: bool = plain_field("True while the person objects to this purpose.")
    updated_at: datetime = plain_field("When the state last changed.")
