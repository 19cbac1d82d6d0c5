"""SQL form of the subject half of the decision, for filters and searches.

Policy: you cannot filter or search by a field you may not read, because the match
itself would reveal the value. A filter on a personal-data field therefore also keeps
only the subjects for whom the request's declared purpose (the principal's one
purpose) may use that category; this clause mirrors `privacy.decision.subject_obstacle`
(a test checks them against each other for every state).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlmodel import col

from models.consent import ConsentState
from models.contacts import Contact
from privacy.categories import DataCategory
from privacy.purposes import PURPOSES, LawfulBasis, Purpose


def _purpose_lawful(purpose: Purpose) -> ColumnElement[bool]:
    rule = PURPOSES[purpose]
    state = select(col(ConsentState.contact_id)).where(
        col(ConsentState.contact_id) == Contact.id,
        col(ConsentState.tenant_id) == Contact.tenant_id,
        col(ConsentState.purpose) == purpose.value,
    )
    if rule.requires_consent:
        return exists(
            state.where(
                col(ConsentState.status) == "granted", col(ConsentState.objected).is_(False)
            )
        )
    li = LawfulBasis.LEGITIMATE_INTEREST.value
    default_is_li = rule.default_basis is LawfulBasis.LEGITIMATE_INTEREST
    basis_is_li: ColumnElement[bool] = col(ConsentState.lawful_basis) == li
    if default_is_li:
        basis_is_li = or_(basis_is_li, col(ConsentState.lawful_basis).is_(None))
    objection_counts = true() if rule.objection_absolute else basis_is_li
    blocked = or_(
        col(ConsentState.status) == "withdrawn",
        and_(col(ConsentState.objected).is_(True), objection_counts),
    )
    return ~exists(state.where(blocked))


def visible_subjects_clause(
    purposes: tuple[Purpose, ...], category: DataCategory
) -> ColumnElement[bool]:
    applicable = [p for p in purposes if category in PURPOSES[p].categories]
    if not applicable:
        return false()
    return and_(
        col(Contact.erased_at).is_(None),
        col(Contact.restricted).is_(False),
        or_(*[_purpose_lawful(p) for p in applicable]),
    )
