"""Privacy requests: a data subject's exercise of a right, with its legal deadline
(policy sections 9 and 13; issue 10).

The subject is either a contact of the tenant (the tenant is the controller; its
admins log and handle the request) or an account holder (`user_id`, filing about
their own account). A request from the public intake (`submitPrivacyRequest`) may have
neither yet: it names the requester's address instead (`requester_email_enc`, with its
blind index), and is unverified until the single-use link mailed to that address is
used (only the token's SHA-256 is stored). Neither subject is a foreign key: a request
record outlives the contact or account it is about (records are kept 24 months).
Reasons and the completion evidence describe what was done, never personal data. Every
change of status is audited (privacy/request_audit.py).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field

from models.base import TenantScoped, UTCDateTime

SUBJECT_CHECK = (
    "NOT (contact_id IS NOT NULL AND user_id IS NOT NULL) AND (contact_id IS NOT NULL "
    "OR user_id IS NOT NULL OR requester_email_bidx IS NOT NULL)"
)
"""At most one subject; none only for an intake request, which names its requester's
address instead."""


class PrivacyRequest(TenantScoped, table=True):
    __tablename__ = "privacy_request"
    __table_args__ = (
        # Composite key for the records that will point at a request (exports, erasures).
        UniqueConstraint("tenant_id", "id", name="uq_privacy_request_tenant_id"),
        CheckConstraint(SUBJECT_CHECK, name="ck_privacy_request_subject"),
        Index("ix_privacy_request_tenant_status_due", "tenant_id", "status", "due_on"),
        Index("ix_privacy_request_tenant_contact", "tenant_id", "contact_id", "kind"),
        Index("ix_privacy_request_tenant_user", "tenant_id", "user_id", "kind"),
        Index("ix_privacy_request_tenant_email", "tenant_id", "requester_email_bidx", "kind"),
        Index("ix_privacy_request_token", "verification_token_hash", unique=True),
    )

    kind: str = Field(max_length=32)
    contact_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    requester: str = Field(max_length=24)
    channel: str = Field(max_length=16)
    jurisdiction: str = Field(max_length=8)
    received_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    time_zone: str = Field(default="UTC", max_length=64)
    """The IANA zone the deadlines are counted in."""
    logged_by: uuid.UUID | None = None
    verification: str = Field(default="unverified", max_length=16)
    verification_method: str | None = Field(default=None, max_length=32)
    verified_by: uuid.UUID | None = None
    verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = Field(default="received", max_length=16)
    due_on: date = Field(sa_type=Date, nullable=False)
    acknowledge_by: date | None = Field(default=None, sa_type=Date)
    extended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    extension_reason: str | None = Field(default=None, max_length=500)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completion_evidence: str | None = Field(default=None, max_length=2000)
    refused_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    refusal_reason: str | None = Field(default=None, max_length=500)
    repeats: int = Field(default=0)
    """How often the same subject asked for the same kind again while this was open:
    a repeated request is linked to (counted on) the open one, never doubled."""
    requester_email_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    """Intake: the address the requester gave, encrypted with the tenant's data key."""
    requester_email_bidx: bytes | None = Field(default=None, sa_type=LargeBinary)
    """Intake: the blind index of that address (finds the contact, and an open intake)."""
    requester_name_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    """Intake: the name the requester gave, if any (encrypted)."""
    details_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    """Intake: what the requester wrote about the request, if anything (encrypted)."""
    verification_token_hash: bytes | None = Field(default=None, sa_type=LargeBinary)
    """Intake: SHA-256 of the single-use verification token; cleared once it is used."""
    verification_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """Intake: when the verification link stops working."""
