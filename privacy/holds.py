"""Legal holds block every deletion path (policy sections 5 and 9; issues 10 and 11).

An open request whose answer needs the data (access, portability, rectification,
restriction) protects the data it covers the same way until it completes: deleting what
a person asked to see, correct or keep would defeat the request. It is answered as a
hold (LEGAL_HOLD) whose reason says so and whose id is the request's.

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
from models.privacy_requests import PrivacyRequest
from privacy.request_rules import OPEN, RequestKind

PROTECTING_KINDS = tuple(
    kind.value
    for kind in (
        RequestKind.ACCESS, RequestKind.PORTABILITY, RequestKind.RECTIFICATION,
        RequestKind.RESTRICTION,
    )
)  # fmt: skip
OPEN_STATUSES = tuple(sorted(status.value for status in OPEN))
REQUEST_REASON = "an open privacy request about this person needs the data until it completes"


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
    protected = await _open_access_requests(session)
    return ActiveHolds(
        whole_tenant=any(c is None and k is None for c, k in rows),
        contact_ids=frozenset(c for c, _ in rows if c is not None)
        | frozenset(r.contact_id for r in protected if r.contact_id is not None),
        company_ids=frozenset(k for _, k in rows if k is not None),
    )


async def _open_access_requests(
    session: AsyncSession, contact_ids: Iterable[uuid.UUID] | None = None
) -> list[PrivacyRequest]:
    query = select(PrivacyRequest).where(
        col(PrivacyRequest.kind).in_(PROTECTING_KINDS),
        col(PrivacyRequest.status).in_(OPEN_STATUSES),
        col(PrivacyRequest.contact_id).is_not(None),
    )
    if contact_ids is not None:
        query = query.where(col(PrivacyRequest.contact_id).in_(list(contact_ids)))
    return list((await session.execute(query)).scalars())


def _as_hold(request: PrivacyRequest) -> LegalHold:
    """The open request, in the shape every deletion path already answers (not stored)."""
    return LegalHold(
        id=request.id,
        tenant_id=request.tenant_id,
        contact_id=request.contact_id,
        reason=REQUEST_REASON,
        reference="privacy request",
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
    protecting = await _open_access_requests(session, contacts) if contacts else []
    return _as_hold(protecting[0]) if protecting else None


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
