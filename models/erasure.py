"""Erasure records and the suppression list (policy section 9; issue 10).

An `erasure_record` proves an erasure (or says why one was blocked) without holding
any personal data: the contact and the privacy request by opaque id, the categories
erased by name, the actor, the time, and the exceptions that applied (a legal hold by
id with its stated reason, what the books keep). It is append-only at the database.

A `suppression` keeps an erased person from being created or imported again: the
keyed blind index (privacy/crypto.py, the tenant's own key) of their email address or
phone number, never the value. It is lifted, never removed, on the person's own new
request; destroying the tenant's key makes every entry meaningless.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, LargeBinary, UniqueConstraint
from sqlmodel import Field

from models.base import TenantScoped, UTCDateTime, timestamp_field

OUTCOMES = ("erased", "blocked")
SUPPRESSED_KINDS = ("email", "phone")


class ErasureRecord(TenantScoped, table=True):
    __tablename__ = "erasure_record"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id", name="uq_erasure_record_tenant_id"),
        Index("ix_erasure_record_tenant_contact", "tenant_id", "contact_id"),
        Index("ix_erasure_record_tenant_request", "tenant_id", "request_id"),
    )

    contact_id: uuid.UUID
    """The erased contact (the record stays as an anonymous shell)."""
    request_id: uuid.UUID | None = None
    """The privacy request the erasure answers, if any."""
    outcome: str = Field(max_length=16)
    """erased, or blocked (by an exception such as a legal hold)."""
    categories: str = Field(default="", max_length=400)
    """The personal-data categories erased, by name, comma-separated."""
    exceptions: str = Field(default="[]", max_length=4000)
    """JSON list of the exceptions that applied: {kind, reason, hold?}; no personal data."""
    recorded_by: uuid.UUID | None = None
    recorded_at: datetime = timestamp_field()


class Suppression(TenantScoped, table=True):
    __tablename__ = "suppression"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id", name="uq_suppression_tenant_id"),
        Index("ix_suppression_tenant_key", "tenant_id", "kind", "key_bidx"),
    )

    kind: str = Field(max_length=8)
    """email or phone."""
    key_bidx: bytes = Field(sa_type=LargeBinary, nullable=False)
    """The tenant-keyed blind index of the normalised value; not reversible."""
    contact_id: uuid.UUID
    """The erased contact (shell) whose address this was."""
    erasure_id: uuid.UUID
    lifted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lifted_by: uuid.UUID | None = None
    lift_request_id: uuid.UUID | None = None
    """The person's own new privacy request on which the suppression was lifted."""
