"""Account holders' own records (issue 10, "Account holders"): single-use links mailed
to them, and their choices about their account data.

`account_token`: the links that verify an address (at sign-up, or a new sign-in address)
and reset a password. Only the SHA-256 of a token is kept; a token is used once
(`used_at`) and expires. A new sign-in address waiting for verification is kept here,
encrypted with the platform key with its blind index, and becomes the account's
address only when its link is used: the old one keeps working until then.

`account_choice_event`: the append-only history of an account holder's privacy
choices about their own account data (today: the objection to sale or sharing,
recorded from the `Sec-GPC: 1` header or the explicit opt-out). Like `consent_event`
for contacts, the current state is derived from it and nothing is overwritten; the
database refuses UPDATE and DELETE (migration 0014). No foreign key: the record of the
choice outlives the account, and names it only by its opaque id.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, LargeBinary
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, timestamp_field

TOKEN_KINDS = ("email_verification", "email_change", "password_reset")
CHOICE_SOURCES = ("gpc", "account_settings")


class AccountToken(SQLModel, table=True):
    __tablename__ = "account_token"
    __table_args__ = (Index("ix_account_token_user_kind", "user_id", "kind"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="app_user.id", ondelete="CASCADE")
    kind: str = Field(max_length=24)
    token_hash: bytes = Field(sa_type=LargeBinary, nullable=False, unique=True)
    new_email_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    """email_change: the new address (platform key), the account's once verified."""
    new_email_bidx: bytes | None = Field(default=None, sa_type=LargeBinary)
    created_at: datetime = timestamp_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AccountChoiceEvent(SQLModel, table=True):
    __tablename__ = "account_choice_event"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(index=True)
    purpose: str = Field(max_length=32)
    status: str = Field(max_length=24)
    """objected | objection_withdrawn (the statuses of privacy.consent)."""
    source: str = Field(max_length=24)
    """gpc (the browser's Sec-GPC: 1 header) or account_settings (the opt-out)."""
    recorded_at: datetime = timestamp_field()
