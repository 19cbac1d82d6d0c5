"""Invitations to join a tenant (policy section 2.1; issue 8).

An invitation is what `inviteMember` creates whether or not the address already has an
account: the person accepts it through the single-use link mailed to them, and only
then does a membership exist. Nothing about an existing account is read or shown when
inviting. The address is stored encrypted with the tenant's key, with the tenant's
blind index beside it (a re-invitation replaces the pending one); of the token only a
SHA-256 is kept.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, LargeBinary
from sqlmodel import Field

from models.base import TenantScoped, UTCDateTime


class Invitation(TenantScoped, table=True):
    __table_args__ = (Index("ix_invitation_tenant_email_bidx", "tenant_id", "email_bidx"),)

    email_enc: bytes = Field(sa_type=LargeBinary, nullable=False)
    email_bidx: bytes = Field(sa_type=LargeBinary, nullable=False)
    role: str = Field(max_length=32)
    display_name: str | None = Field(default=None, max_length=200)
    """As given by the inviter; never read from an existing account."""
    token_hash: bytes = Field(sa_type=LargeBinary, nullable=False, unique=True)
    invited_by: uuid.UUID | None = Field(default=None)
    """The inviting member's user id (no foreign key: removing them keeps the record)."""
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
