"""`explainAccess`: why one field of one contact is shown, masked or redacted for the
caller (issue 14; policy sections 3, 4 and 9 made visible).

The decision is `privacy.decision.decide` itself, called with a trace, on the same
inputs the read paths use (the caller's permissions and purpose, the field's declared
policy, the subject state loaded with the contact); this module only adds where that
state came from: the consent records behind each purpose's standing and the
restriction and erasure events. The details are those `consents` and `consentHistory`
already give (CONSENT_READ), never the field's value.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from auth.permissions import Permission
from core.context import RequestContext
from core.errors import bad_input
from models.consent import ConsentEvent, ProcessingEvent
from privacy.decision import Decision, PurposeStanding, Step, SubjectState, decide
from privacy.purposes import PURPOSES, Purpose
from privacy.render import PiiSpec
from resolvers.references import existing

_STANDING_STATUSES = ("granted", "withdrawn")
_OBJECTION_STATUSES = ("objected", "objection_withdrawn")
_RESTRICTION_KINDS = ("restricted", "restriction_lifted")


@dataclass(frozen=True)
class PurposeSource:
    """One purpose of the request: its rule, its standing for this person, and the
    latest consent and objection records that standing was derived from."""

    purpose: Purpose
    standing: PurposeStanding
    consent_record: ConsentEvent | None
    objection_record: ConsentEvent | None


@dataclass(frozen=True)
class Explanation:
    contact_id: uuid.UUID
    field: str
    spec: PiiSpec
    state: SubjectState | None
    steps: list[Step]
    decision: Decision
    purposes: list[PurposeSource]
    restriction_record: ProcessingEvent | None
    erasure_record: ProcessingEvent | None


def contact_field_specs() -> dict[str, PiiSpec]:
    """The personal-data fields of `Contact`, by GraphQL name, as they are declared."""
    from schema.policy import POLICY_KEY
    from schema.types.contacts import Contact

    definition: Any = Contact.__strawberry_definition__  # type: ignore[attr-defined]
    return {
        f.graphql_name or _camel(f.python_name): f.metadata[POLICY_KEY]
        for f in definition.fields
        if isinstance(f.metadata.get(POLICY_KEY), PiiSpec)
    }


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


async def explain_access(ctx: RequestContext, contact: str, field: str) -> Explanation:
    principal = ctx.require(Permission.CONSENT_READ, "read the consent that decides access")
    spec = contact_field_specs().get(field)
    if spec is None:
        known = ", ".join(sorted(contact_field_specs()))
        raise bad_input(f"field must be a personal-data field of Contact: {known}.", "field")
    row = await existing(ctx, contact, "Contact", "contact")
    state: SubjectState | None = row.subject_state
    steps: list[Step] = []
    decision = decide(principal.permissions, principal.purposes, spec.policy, state, steps)
    consent_events = await _latest_consent_events(ctx, row.id)
    standings = state.purposes if state is not None else {}
    purposes = [
        PurposeSource(
            purpose,
            standings.get(purpose, PurposeStanding()),
            consent_events.get((purpose.value, _STANDING_STATUSES)),
            consent_events.get((purpose.value, _OBJECTION_STATUSES)),
        )
        for purpose in principal.purposes
    ]
    processing = await _latest_processing_events(ctx, row.id)
    return Explanation(
        contact_id=row.id,
        field=field,
        spec=spec,
        state=state,
        steps=steps,
        decision=decision,
        purposes=purposes,
        restriction_record=processing.get(_RESTRICTION_KINDS),
        erasure_record=processing.get(("erased",)),
    )


async def _latest_consent_events(
    ctx: RequestContext, contact_id: uuid.UUID
) -> dict[tuple[str, tuple[str, ...]], ConsentEvent]:
    """The latest consent record (granted or withdrawn) and the latest objection record
    per purpose: the events the current standing was folded from last."""
    latest: dict[tuple[str, tuple[str, ...]], ConsentEvent] = {}
    for event in await _history(ctx, ConsentEvent, contact_id):
        group = _STANDING_STATUSES if event.status in _STANDING_STATUSES else _OBJECTION_STATUSES
        latest[(event.purpose, group)] = event
    return latest


async def _latest_processing_events(
    ctx: RequestContext, contact_id: uuid.UUID
) -> dict[tuple[str, ...], ProcessingEvent]:
    """The latest restriction event (restricted or lifted) and the erasure event."""
    latest: dict[tuple[str, ...], ProcessingEvent] = {}
    for event in await _history(ctx, ProcessingEvent, contact_id):
        group = _RESTRICTION_KINDS if event.kind in _RESTRICTION_KINDS else (event.kind,)
        latest[group] = event
    return latest


async def _history(ctx: RequestContext, model: Any, contact_id: uuid.UUID) -> list[Any]:
    """A contact's append-only history of `model`, oldest first (as it is folded)."""
    statement = (
        select(model)
        .where(col(model.contact_id) == contact_id)
        .order_by(col(model.recorded_at), col(model.created_at))
    )
    return list((await ctx.db.execute(statement)).scalars())


def requires_consent(purpose: Purpose) -> bool:
    return PURPOSES[purpose].requires_consent


def default_basis(purpose: Purpose) -> str | None:
    basis = PURPOSES[purpose].default_basis
    return basis.value if basis is not None else None


def uses_category(purpose: Purpose, spec: PiiSpec) -> bool:
    return spec.policy.category in PURPOSES[purpose].categories
