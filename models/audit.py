"""Audit of personal-data reads and privacy changes, and the usage log.

Policy section 8 (audit) and 2.3 (usage data). No personal values are ever stored
here: subjects are referenced by id, categories by name, IPs truncated.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Index
from sqlmodel import Field, SQLModel

from models.base import timestamp_field


class AuditEvent(SQLModel, table=True):
    """One audited action or request; `chain_seq` and `chain_hash` link it into its
    tenant's tamper-evident chain (privacy/audit_chain.py, migration 0016)."""

    __tablename__ = "audit_event"
    __tenant_scoped__ = True
    __table_args__ = (Index("uq_audit_event_chain", "tenant_id", "chain_seq", unique=True),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", index=True)
    actor_id: uuid.UUID | None = None
    actor_type: str = Field(max_length=16)
    app_client_id: str | None = Field(default=None, max_length=64)
    """The partner app acting for `actor_id` (issue 12), None for the user's own."""
    action: str = Field(max_length=48)
    purposes: str = Field(default="", max_length=200)
    request_id: str | None = Field(default=None, max_length=64)
    operation_name: str | None = Field(default=None, max_length=200)
    detail: str | None = Field(default=None, max_length=2000)
    occurred_at: datetime = timestamp_field()
    chain_seq: int | None = Field(default=None, sa_type=BigInteger)
    """Position in the tenant's chain, from 1 without gaps (None: written before 0016)."""
    chain_hash: str | None = Field(default=None, max_length=64)
    """HMAC-SHA256 (hex) over the previous entry's hash, this entry and its subjects."""


class AuditChainHead(SQLModel, table=True):
    """The last link of a tenant's audit chain: locked by every writer (so one tenant's
    entries are chained one writer at a time) and compared by the verifier (so a
    removed last entry shows)."""

    __tablename__ = "audit_chain_head"
    __tenant_scoped__ = True

    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", primary_key=True)
    seq: int = Field(default=0, sa_type=BigInteger)
    hash: str = Field(default="", max_length=64)
    updated_at: datetime = timestamp_field()


class AuditSubject(SQLModel, table=True):
    """One row per request and data subject whose personal data was read.

    No foreign keys and one index (migration 0004): the log is append-only, written in
    bulk by privacy/audit.py with its own event's and tenant's ids."""

    __tablename__ = "audit_subject"
    __tenant_scoped__ = True
    __table_args__ = (Index("ix_audit_subject_lookup", "tenant_id", "subject_id", "occurred_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tenant_id: uuid.UUID
    event_id: uuid.UUID
    subject_id: uuid.UUID
    actor_id: uuid.UUID | None = None
    categories_shown: str = Field(default="", max_length=400)
    categories_redacted: str = Field(default="", max_length=400)
    purposes: str = Field(default="", max_length=200)
    occurred_at: datetime = timestamp_field()


class UsageEvent(SQLModel, table=True):
    """Policy section 2.3: who called which operation, how long it took, the outcome."""

    __tablename__ = "usage_event"
    __tenant_scoped__ = True

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", index=True)
    user_id: uuid.UUID | None = None
    operation_name: str | None = Field(default=None, max_length=200)
    operation_type: str = Field(max_length=16)
    duration_ms: float = 0.0
    outcome: str = Field(max_length=16)
    ip_truncated: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=256)
    occurred_at: datetime = timestamp_field()
