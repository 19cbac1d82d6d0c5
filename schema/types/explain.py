"""The answer of `explainAccess` (issue 14) and the `RedactionReason` enum.

`RedactionReason` is `privacy.decision.Reason`, the codes every `extensions.redactions`
entry carries, each value described by `privacy.decision.REASON_TEXT` (one source for
the SDL, generated clients and GraphiQL's redactions panel). The explanation types are
plain data read from `resolvers.explain.Explanation`.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from privacy.decision import CHECK_TEXT, REASON_TEXT, Check, Reason, Verdict
from privacy.purposes import Purpose
from schema.directives import DataCategoryEnum, LawfulBasisEnum, PermissionEnum, PurposeEnum
from schema.types.closed_sets import Role
from schema.types.consent import ConsentEventType

strawberry.enum(
    Reason,
    name="RedactionReason",
    description="Why a value was masked or redacted: the `reason` of each entry of "
    "`extensions.redactions`.",
)
for _value in Reason.__strawberry_definition__.values:  # type: ignore[attr-defined]
    _value.description = REASON_TEXT[Reason(_value.value)]

strawberry.enum(
    Check, name="AccessCheck", description="One check of the access decision, in its order."
)
for _value in Check.__strawberry_definition__.values:  # type: ignore[attr-defined]
    _value.description = CHECK_TEXT[Check(_value.value)]
strawberry.enum(Verdict, name="AccessOutcome", description="What the caller receives.")

__all__ = ["DataCategoryEnum", "LawfulBasisEnum", "PermissionEnum", "PurposeEnum"]


@strawberry.type(description="One check the access decision made, in the order made.")
class AccessStep:
    check: Check
    passed: bool
    purpose: Purpose | None = strawberry.field(description="The purpose checked, if any.")
    reason: Reason | None = strawberry.field(description="Why the check failed.")
    lawful_basis: str | None = strawberry.field(
        description="LAWFUL_BASIS: the basis the purpose relies on for this person."
    )


@strawberry.type(description="A restriction or erasure event of the person.")
class ProcessingRecord:
    kind: str = strawberry.field(description="restricted, restriction_lifted or erased.")
    recorded_at: datetime


@strawberry.type(
    description="One purpose of the request: its rule and this person's standing for it, "
    "with the consent records the standing comes from."
)
class PurposeExplanation:
    purpose: Purpose
    uses_category: bool = strawberry.field(description="The purpose uses the field's category.")
    requires_consent: bool
    default_basis: str | None = strawberry.field(
        description="The lawful basis assumed while the person's history records none."
    )
    consent_status: str | None = strawberry.field(
        description="granted, withdrawn, or null when never asked."
    )
    lawful_basis: str | None = strawberry.field(description="The lawful basis on record.")
    objected: bool
    consent_record: ConsentEventType | None = strawberry.field(
        description="The latest consent record (granted or withdrawn) for the purpose."
    )
    objection_record: ConsentEventType | None = strawberry.field(
        description="The latest objection record (objected or objection_withdrawn)."
    )


@strawberry.type(
    description="Why one field of one contact is shown, masked or redacted for you: the "
    "decision's own steps (privacy/decision.py), never the value."
)
class AccessExplanation:
    contact: strawberry.ID
    field: str
    category: DataCategoryEnum  # type: ignore[valid-type]
    permission: PermissionEnum = strawberry.field(  # type: ignore[valid-type]
        description="The permission that reads the field in full."
    )
    mask_permission: PermissionEnum | None = strawberry.field(  # type: ignore[valid-type]
        description="The permission that sees it masked, if it has a mask."
    )
    role: Role = strawberry.field(description="Your role.")
    purposes: list[PurposeExplanation] = strawberry.field(
        description="The purposes this request is processed under."
    )
    erased: bool
    erasure_record: ProcessingRecord | None
    restricted: bool
    restriction_record: ProcessingRecord | None = strawberry.field(
        description="The latest restriction event (restricted or restriction_lifted)."
    )
    steps: list[AccessStep]
    outcome: Verdict
    reason: Reason | None = strawberry.field(
        description="The reason listed in extensions.redactions for this field, if any."
    )
