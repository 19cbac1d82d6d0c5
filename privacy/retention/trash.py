"""The trash: deleting a company, contact, deal or activity moves it here (policy
section 5; issue 11).

A trashed row is hidden from every read by the tenant guard (models/tenant_guard.py);
its admins list it (`trash`) and restore it while the tenant's `soft_deleted` period
runs. When the period ends the purge erases a contact (the shell stays) and removes or
shells the rest (privacy/retention/steps.py).

Which legal holds cover a record is declared once, per table (`HOLD_COLUMNS`), and
read by both the delete mutations (`ensure_no_hold`) and the purge (`not_held`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.errors import AppError, Code, not_found
from models import Activity, Company, Contact, Deal, Invitation, PrivacyRequest
from models.base import utcnow
from models.tenant_guard import INCLUDE_TRASHED
from privacy.holds import ActiveHolds, ensure_no_hold

TRASHABLE: dict[str, Any] = {
    "Company": Company,
    "Contact": Contact,
    "Deal": Deal,
    "Activity": Activity,
}
"""GraphQL type name -> model, for the types a delete moves to the trash."""

HOLD_COLUMNS: dict[Any, tuple[tuple[str, ...], tuple[str, ...]]] = {
    Contact: (("id",), ("company_id",)),
    Company: ((), ("id",)),
    Deal: (("primary_contact_id",), ("company_id",)),
    Activity: (("contact_id", "subject_contact_id"), ("company_id",)),
    PrivacyRequest: (("contact_id",), ()),
    Invitation: ((), ()),
}
"""model -> (columns naming a contact, columns naming a company) whose hold keeps a row."""


def hold_keys(model: Any, row: Any) -> dict[str, list[uuid.UUID]]:
    """The contacts and companies whose legal hold covers `row` (for `ensure_no_hold`)."""
    contacts, companies = HOLD_COLUMNS[model]
    return {
        "contact_ids": [v for c in contacts if (v := getattr(row, c)) is not None],
        "company_ids": [v for c in companies if (v := getattr(row, c)) is not None],
    }


def not_held(model: Any, holds: ActiveHolds) -> list[Any]:
    """SQL conditions leaving out the rows of `model` an active hold covers (the caller
    skips a tenant under a tenant-wide hold altogether)."""
    contacts, companies = HOLD_COLUMNS[model]
    clauses: list[Any] = []
    for names, held in ((contacts, holds.contact_ids), (companies, holds.company_ids)):
        for name in names if held else ():
            column = col(getattr(model, name))
            clauses.append(or_(column.is_(None), column.not_in(held)))
    return clauses


def trashed(model: Any) -> Any:
    """A SELECT of `model` that sees the trash (and only with this option)."""
    return select(model).execution_options(**{INCLUDE_TRASHED: True})


async def move_to_trash(
    session: AsyncSession, model: Any, row: Any, actor: uuid.UUID | None
) -> None:
    """Refuse (LEGAL_HOLD) what a hold covers; otherwise mark the row deleted."""
    await ensure_no_hold(session, **hold_keys(model, row))
    now = utcnow()
    await session.execute(
        update(model)
        .where(col(model.id) == row.id)
        .values(deleted_at=now, deleted_by=actor, updated_at=now)
    )


@dataclass(frozen=True)
class TrashItem:
    type_name: str
    id: uuid.UUID
    deleted_at: datetime
    deleted_by: uuid.UUID | None
    restorable_until: datetime


async def list_trash(session: AsyncSession, period: timedelta, limit: int) -> list[TrashItem]:
    """What is in the trash and not purged yet, most recently deleted first."""
    items: list[TrashItem] = []
    for type_name, model in TRASHABLE.items():
        stmt = (
            trashed(model)
            .with_only_columns(col(model.id), col(model.deleted_at), col(model.deleted_by))
            .where(col(model.deleted_at).is_not(None), col(model.purged_at).is_(None))
            .order_by(col(model.deleted_at).desc())
            .limit(limit)
        )
        for row_id, deleted_at, deleted_by in await session.execute(stmt):
            items.append(TrashItem(type_name, row_id, deleted_at, deleted_by, deleted_at + period))
    items.sort(key=lambda item: (item.deleted_at, item.id), reverse=True)
    return items[:limit]


async def restore(
    session: AsyncSession, type_name: str, row_id: uuid.UUID, period: timedelta
) -> None:
    """Bring one item back while the period runs. An id that is not in this tenant's
    trash (never existed, another tenant's, not deleted, already purged) answers
    NOT_FOUND, the same for all."""
    model = TRASHABLE.get(type_name)
    if model is None:
        raise not_found()
    row = (
        await session.execute(
            trashed(model).where(
                col(model.id) == row_id,
                col(model.deleted_at).is_not(None),
                col(model.purged_at).is_(None),
            )
        )
    ).scalar_one_or_none()
    if row is None:
        raise not_found()
    if row.deleted_at + period <= utcnow():
        raise AppError(
            Code.TRASH_PERIOD_ENDED,
            "This item's time in the trash is over; it can no longer be restored.",
        )
    await session.execute(
        update(model)
        .where(col(model.id) == row_id)
        .values(deleted_at=None, deleted_by=None, updated_at=utcnow())
    )
