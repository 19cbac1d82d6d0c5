"""Consent history and processing state of each data subject (policy sections 3 and 9).

`consent_event` is append-only: the current state is derived from it and never
overwritten. `consent_state` is the derived current state per (contact, purpose),
maintained in the same transaction as each append so reads need one indexed lookup;
a test rebuilds it from the events and compares.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, PrimaryKeyConstraint
from sqlmodel import Field, SQLModel

from models.base import TenantScoped, UTCDateTime, timestamp_field

CONSENT_STATUSES = ("granted", "withdrawn", "objected", "objection_withdrawn")
PROCESSING_KINDS = ("restricted", "restriction_lifted", "erased")


class ConsentEvent(TenantScoped, table=True):
    __tablename__ = "consent_event"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "contact_id"], ["contact.tenant_id", "contact.id"]),
    )

    contact_id: uuid.UUID = Field(index=True)
    purpose: str = Field(max_length=32)
    status: str = Field(max_length=24)
    lawful_basis: str | None = Field(default=None, max_length=24)
    source: str | None = Field(default=None, max_length=100)
    method: str | None = Field(default=None, max_length=32)
    policy_version: str | None = Field(default=None, max_length=32)
    evidence: str | None = Field(default=None, max_length=2000)
    recorded_by: uuid.UUID | None = None
    recorded_at: datetime = timestamp_field()


class ConsentState(SQLModel, table=True):
    __tablename__ = "consent_state"
    __tenant_scoped__ = True
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "contact_id", "purpose"),
        ForeignKeyConstraint(["tenant_id", "contact_id"], ["contact.tenant_id", "contact.id"]),
    )

    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    contact_id: uuid.UUID
    purpose: str = Field(max_length=32)
    status: str | None = Field(default=None, max_length=24)
    """granted | withdrawn | None (no consent decision recorded)."""
    lawful_basis: str | None = Field(default=None, max_length=24)
    objected: bool = False
    updated_at: datetime = timestamp_field()


class ProcessingEvent(TenantScoped, table=True):
    """History of restriction and erasure (the flags live on the contact)."""

    __tablename__ = "processing_event"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "contact_id"], ["contact.tenant_id", "contact.id"]),
    )

    contact_id: uuid.UUID = Field(index=True)
    kind: str = Field(max_length=24)
    reason: str | None = Field(default=None, max_length=500)
    recorded_by: uuid.UUID | None = None
    recorded_at: datetime = timestamp_field()
    subject_informed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """restriction_lifted: when the person was told the restriction would be lifted
    (GDPR Art. 18(3): before it is)."""
