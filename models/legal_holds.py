"""Legal holds: a recorded reason to keep data that would otherwise be deleted
(policy sections 5 and 9; issues 10 and 11).

A hold covers one contact, one company, or the whole tenant (neither id set). While a
hold is active (`released_at` is null) every deletion path refuses: retention purge,
erasure, delete mutations and tenant offboarding (privacy/holds.py). The reason and
reference describe the legal matter, never personal data.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field

from models.base import TenantScoped, UTCDateTime

SCOPE_CHECK = "NOT (contact_id IS NOT NULL AND company_id IS NOT NULL)"
"""A hold names at most one record; none means the whole tenant."""


class LegalHold(TenantScoped, table=True):
    __tablename__ = "legal_hold"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id", name="uq_legal_hold_tenant_id"),
        CheckConstraint(SCOPE_CHECK, name="ck_legal_hold_scope"),
        Index("ix_legal_hold_tenant_active", "tenant_id", "released_at"),
    )

    contact_id: uuid.UUID | None = None
    company_id: uuid.UUID | None = None
    reason: str = Field(max_length=500)
    """The legal ground (a claim, a litigation hold, a regulator's order)."""
    reference: str | None = Field(default=None, max_length=120)
    """The matter's own reference (a case number), for the people who lift it."""
    placed_by: uuid.UUID | None = None
    released_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    released_by: uuid.UUID | None = None
