"""Legal holds block every deletion path (policy sections 5 and 9; issues 10 and 11).

One question, asked by each path before it deletes: is there an active hold on the
tenant, on this contact, or on this company? The purge asks once per run for the whole
set (`active_holds`) and skips what is covered; single deletions call `ensure_no_hold`,
which refuses with LEGAL_HOLD and a reason that names the hold, never the person.
Sessions are tenant-scoped, so a hold of another tenant is never seen.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.errors import AppError, Code
from models.legal_holds import LegalHold


@dataclass(frozen=True)
class ActiveHolds:
    """The active holds of one tenant, as the purge needs them."""

    whole_tenant: bool = False
    contact_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    company_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)

    def covers(
        self, *, contact_id: uuid.UUID | None = None, company_id: uuid.UUID | None = None
    ) -> bool:
        return (
            self.whole_tenant
            or (contact_id is not None and contact_id in self.contact_ids)
            or (company_id is not None and company_id in self.company_ids)
        )


async def active_holds(session: AsyncSession) -> ActiveHolds:
    rows = (
        await session.execute(
            select(col(LegalHold.contact_id), col(LegalHold.company_id)).where(
                col(LegalHold.released_at).is_(None)
            )
        )
    ).all()
    return ActiveHolds(
        whole_tenant=any(c is None and k is None for c, k in rows),
        contact_ids=frozenset(c for c, _ in rows if c is not None),
        company_ids=frozenset(k for _, k in rows if k is not None),
    )


async def blocking_hold(
    session: AsyncSession,
    *,
    contact_ids: Iterable[uuid.UUID] = (),
    company_ids: Iterable[uuid.UUID] = (),
) -> LegalHold | None:
    """The first active hold on the tenant or on one of the given records, if any."""
    contacts, companies = set(contact_ids), set(company_ids)
    for hold in (
        await session.execute(select(LegalHold).where(col(LegalHold.released_at).is_(None)))
    ).scalars():
        if hold.contact_id is None and hold.company_id is None:
            return hold
        if hold.contact_id in contacts or hold.company_id in companies:
            return hold
    return None


def hold_error(hold: LegalHold) -> AppError:
    scope = (
        "this contact"
        if hold.contact_id
        else "this company"
        if hold.company_id
        else ("this workspace")
    )
    return AppError(
        Code.LEGAL_HOLD,
        f"A legal hold on {scope} blocks deletion: {hold.reason}",
        hold=str(hold.id),
    )


async def ensure_no_hold(
    session: AsyncSession,
    *,
    contact_ids: Iterable[uuid.UUID] = (),
    company_ids: Iterable[uuid.UUID] = (),
) -> None:
    """Refuse (LEGAL_HOLD) when an active hold covers the tenant or one of the records."""
    hold = await blocking_hold(session, contact_ids=contact_ids, company_ids=company_ids)
    if hold is not None:
        raise hold_error(hold)
