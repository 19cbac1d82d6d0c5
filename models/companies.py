"""Companies (policy section 2.2, customer data)."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKeyConstraint, LargeBinary, UniqueConstraint
from sqlmodel import Field

from models.base import TenantScoped, Trashable


class Company(TenantScoped, Trashable, table=True):
    __table_args__ = (
        UniqueConstraint("tenant_id", "id", name="uq_company_tenant_id"),
        ForeignKeyConstraint(
            ["tenant_id", "owner_id"], ["membership.tenant_id", "membership.user_id"]
        ),
    )

    name: str = Field(max_length=200, index=True)
    domain: str | None = Field(default=None, max_length=253)
    industry: str | None = Field(default=None, max_length=100)
    size: int | None = None
    address_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    owner_id: uuid.UUID | None = None
