"""Activities: notes, calls, emails, meetings and tasks (policy section 2.2).

The body is free text about people, so it is personal data (category NOTES) and is
encrypted at rest; its data subject is the linked contact.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, LargeBinary, UniqueConstraint
from sqlmodel import Field

from models.base import TenantScoped, UTCDateTime

ACTIVITY_KINDS = ("note", "call", "email", "meeting", "task")


class Activity(TenantScoped, table=True):
    __table_args__ = (
        UniqueConstraint("tenant_id", "id", name="uq_activity_tenant_id"),
        ForeignKeyConstraint(["tenant_id", "contact_id"], ["contact.tenant_id", "contact.id"]),
        ForeignKeyConstraint(["tenant_id", "company_id"], ["company.tenant_id", "company.id"]),
        ForeignKeyConstraint(["tenant_id", "deal_id"], ["deal.tenant_id", "deal.id"]),
        ForeignKeyConstraint(
            ["tenant_id", "author_id"], ["membership.tenant_id", "membership.user_id"]
        ),
    )

    kind: str = Field(max_length=16)
    subject: str = Field(max_length=200)
    body_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done: bool = False
    contact_id: uuid.UUID | None = Field(default=None, index=True)
    company_id: uuid.UUID | None = Field(default=None, index=True)
    deal_id: uuid.UUID | None = Field(default=None, index=True)
    author_id: uuid.UUID | None = None
