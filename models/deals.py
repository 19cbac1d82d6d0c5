"""Deals (policy section 2.2). Amounts are exact decimals with an ISO 4217 currency.

The title is free text that may name or describe a person, so it is encrypted at rest
with the tenant's data key (`title_enc`, section 8; issue 10); NULL once its person is
erased (read as the shell value '[erased]')."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKeyConstraint, LargeBinary, UniqueConstraint
from sqlmodel import Field

from models.base import Money, TenantScoped, Trashable, UTCDateTime

DEAL_STAGES = ("prospecting", "qualification", "proposal", "negotiation", "won", "lost")


class Deal(TenantScoped, Trashable, table=True):
    __table_args__ = (
        UniqueConstraint("tenant_id", "id", name="uq_deal_tenant_id"),
        ForeignKeyConstraint(["tenant_id", "company_id"], ["company.tenant_id", "company.id"]),
        ForeignKeyConstraint(
            ["tenant_id", "primary_contact_id"], ["contact.tenant_id", "contact.id"]
        ),
        ForeignKeyConstraint(
            ["tenant_id", "owner_id"], ["membership.tenant_id", "membership.user_id"]
        ),
    )

    title_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    amount: Decimal = Field(default=Decimal("0"), sa_type=Money)
    currency: str = Field(default="EUR", max_length=3)
    stage: str = Field(default="prospecting", max_length=20)
    expected_close_date: date | None = None
    company_id: uuid.UUID | None = Field(default=None, index=True)
    primary_contact_id: uuid.UUID | None = Field(default=None, index=True)
    owner_id: uuid.UUID | None = None
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
