"""`explainAccess`: the access decision for one field of one contact, step by step
(issue 14). Needs CONSENT_READ: it shows the consent state that `consents` shows."""

from __future__ import annotations

import strawberry

from auth.permissions import Permission as P
from core.context import RequestContext
from privacy.decision import Step
from resolvers import explain as resolve
from resolvers.global_ids import encode_id
from schema.policy import guarded_field
from schema.types.explain import (
    AccessExplanation,
    AccessStep,
    ProcessingRecord,
    PurposeExplanation,
)


def _step(step: Step) -> AccessStep:
    return AccessStep(
        check=step.check,
        passed=step.passed,
        purpose=step.purpose,
        reason=step.reason,
        lawful_basis=step.basis,
    )


def _record(event: object | None) -> ProcessingRecord | None:
    if event is None:
        return None
    return ProcessingRecord(kind=event.kind, recorded_at=event.recorded_at)  # type: ignore[attr-defined]


def _purpose(source: resolve.PurposeSource, found: resolve.Explanation) -> PurposeExplanation:
    purpose = source.purpose
    return PurposeExplanation(
        purpose=purpose,
        uses_category=resolve.uses_category(purpose, found.spec),
        requires_consent=resolve.requires_consent(purpose),
        default_basis=resolve.default_basis(purpose),
        consent_status=source.standing.status,
        lawful_basis=source.standing.lawful_basis,
        objected=source.standing.objected,
        consent_record=source.consent_record,  # type: ignore[arg-type]  # row (plain fields)
        objection_record=source.objection_record,  # type: ignore[arg-type]
    )


@strawberry.type
class Query:
    @guarded_field(
        permission=P.CONSENT_READ,
        description="Why `field` (a personal-data field of Contact, e.g. email) of this "
        "contact is shown, masked or redacted for you: each check of the decision, the "
        "purposes tried with their lawful basis and the consent, objection, restriction "
        "and erasure records behind them. Another tenant's id answers NOT_FOUND, like an "
        "id that never existed.",
    )
    async def explain_access(
        self, info: strawberry.Info[RequestContext, None], contact: strawberry.ID, field: str
    ) -> AccessExplanation:
        found = await resolve.explain_access(info.context, contact, field)
        policy = found.spec.policy
        state = found.state
        return AccessExplanation(
            contact=strawberry.ID(encode_id("Contact", found.contact_id)),
            field=found.field,
            category=policy.category,
            permission=policy.permission,
            mask_permission=policy.mask_permission if policy.mask is not None else None,
            role=info.context.require_principal().role,
            purposes=[_purpose(source, found) for source in found.purposes],
            erased=bool(state and state.erased),
            erasure_record=_record(found.erasure_record),
            restricted=bool(state and state.restricted),
            restriction_record=_record(found.restriction_record),
            steps=[_step(step) for step in found.steps],
            outcome=found.decision.verdict,
            reason=found.decision.reason,
        )
