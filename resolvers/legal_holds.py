"""Legal holds in the API (policy sections 5 and 9; issues 10 and 11): privacy admins
place a hold on a contact, a company or the whole workspace, release it, and list them.

A hold is released, never removed (the table refuses DELETE on PostgreSQL), so the
record of why data was kept survives. Every change is audited with ids only
(privacy/erasure_audit.py): the reason and reference describe the legal matter and
stay on the hold.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import col

from core.context import RequestContext
from core.errors import AppError, Code, bad_input
from models import LegalHold
from models.base import utcnow
from privacy import erasure_audit as audit
from resolvers import validation
from resolvers.global_ids import encode_id, try_decode
from resolvers.trash import ref_including_trash

TYPE_NAME = "LegalHold"


class HoldScope(enum.Enum):
    CONTACT = "contact"
    COMPANY = "company"
    WORKSPACE = "workspace"


@dataclass
class LegalHoldRow:
    id: uuid.UUID
    contact_id: uuid.UUID | None
    company_id: uuid.UUID | None
    reason: str
    reference: str | None
    placed_by_id: uuid.UUID | None
    placed_at: datetime
    released_at: datetime | None
    released_by_id: uuid.UUID | None

    @property
    def gid(self) -> str:
        return encode_id(TYPE_NAME, self.id)

    @property
    def scope(self) -> HoldScope:
        if self.contact_id:
            return HoldScope.CONTACT
        return HoldScope.COMPANY if self.company_id else HoldScope.WORKSPACE

    @property
    def contact(self) -> str | None:
        return encode_id("Contact", self.contact_id) if self.contact_id else None

    @property
    def company(self) -> str | None:
        return encode_id("Company", self.company_id) if self.company_id else None

    @property
    def placed_by(self) -> str | None:
        return encode_id("Member", self.placed_by_id) if self.placed_by_id else None

    @property
    def released_by(self) -> str | None:
        return encode_id("Member", self.released_by_id) if self.released_by_id else None

    @property
    def active(self) -> bool:
        return self.released_at is None


def to_row(hold: LegalHold) -> LegalHoldRow:
    return LegalHoldRow(
        id=hold.id,
        contact_id=hold.contact_id,
        company_id=hold.company_id,
        reason=hold.reason,
        reference=hold.reference,
        placed_by_id=hold.placed_by,
        placed_at=hold.created_at,
        released_at=hold.released_at,
        released_by_id=hold.released_by,
    )


async def place(
    ctx: RequestContext,
    *,
    contact: str | None,
    company: str | None,
    reason: str,
    reference: str | None,
) -> LegalHoldRow:
    """On one contact, one company, or (neither given) the whole workspace."""
    if contact is not None and company is not None:
        raise bad_input("A hold covers one contact, one company or the whole workspace.")
    text = validation.text(reason, "reason", 500, required=True)
    ref = validation.text(reference, "reference", 120)
    hold = LegalHold(  # type: ignore[call-arg]  # tenant_id: stamped at flush
        contact_id=await ref_including_trash(ctx, contact, "Contact", "contact"),
        company_id=await ref_including_trash(ctx, company, "Company", "company"),
        reason=text,
        reference=ref,
        placed_by=ctx.require_principal().user_id,
    )
    ctx.db.add(hold)
    await ctx.db.flush()
    audit.legal_hold_placed(
        ctx.audit, hold_id=hold.id, contact_id=hold.contact_id, company_id=hold.company_id
    )
    return to_row(hold)


async def release(ctx: RequestContext, hold: str) -> LegalHoldRow:
    wanted = try_decode(hold, TYPE_NAME)
    found = None
    if wanted is not None:
        found = (
            await ctx.db.execute(select(LegalHold).where(col(LegalHold.id) == wanted))
        ).scalar_one_or_none()
    if found is None:
        raise AppError(Code.NOT_FOUND, "No legal hold with this id.", field="hold")
    if found.released_at is not None:
        raise AppError(Code.CONFLICT, "This legal hold is already released.", field="hold")
    now = utcnow()
    found.released_at = now
    found.released_by = ctx.require_principal().user_id
    found.updated_at = now
    await ctx.db.flush()
    audit.legal_hold_released(ctx.audit, hold_id=found.id)
    return to_row(found)


async def holds(ctx: RequestContext, active_only: bool) -> list[LegalHoldRow]:
    """Newest first."""
    query = select(LegalHold).order_by(col(LegalHold.created_at).desc())
    if active_only:
        query = query.where(col(LegalHold.released_at).is_(None))
    return [to_row(h) for h in (await ctx.db.execute(query)).scalars()]
