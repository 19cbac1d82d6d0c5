"""Account holders, their memberships in tenants, sessions and refresh tokens.

Policy section 2.1 (account information), section 10 (no users under 18: only the
birth year is kept, enough to show the rule held) and section 12 (the policy version
acknowledged at sign-up).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, timestamp_field, utcnow


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email_enc: bytes = Field(sa_type=LargeBinary, nullable=False)
    email_bidx: bytes = Field(sa_type=LargeBinary, nullable=False, unique=True, index=True)
    display_name: str = Field(max_length=200)
    password_hash: str = Field(max_length=255)
    birth_year: int
    policy_version: str = Field(max_length=32)
    created_at: datetime = timestamp_field()
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    email_verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When the holder proved they receive mail at `email` (a link from sign-up, an
    invitation, a password reset or a change of address); None: not yet."""


class Membership(SQLModel, table=True):
    """A user's role in one tenant; a user may belong to several tenants."""

    __tenant_scoped__ = True
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", name="uq_membership_user"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", index=True)
    user_id: uuid.UUID = Field(foreign_key="app_user.id", index=True)
    role: str = Field(max_length=32)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    minor_suspended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """Reported as under 18 (section 10): no sign-in, no token until resolved."""


class AuthSession(SQLModel, table=True):
    """A browser session (cookie) or a refresh-token family (API clients).

    Only a SHA-256 of the secret is stored; the secret itself lives in the cookie or
    with the client. Refresh tokens rotate: reuse of a spent one revokes the family.
    """

    __tablename__ = "auth_session"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["membership.tenant_id", "membership.user_id"],
            ondelete="CASCADE",
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(max_length=16)  # "cookie" | "refresh"
    secret_hash: bytes = Field(sa_type=LargeBinary, unique=True, index=True)
    user_id: uuid.UUID = Field(index=True)
    tenant_id: uuid.UUID = Field(index=True)
    created_at: datetime = timestamp_field()
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PolicyVersion(SQLModel, table=True):
    """A published version of the privacy policy (section 12): named after its 'last
    updated' date, with the text as published. A material version becomes the one
    every account holder must acknowledge from `effective_at` (privacy/policy_versions.py)."""

    __tablename__ = "policy_version"

    version: str = Field(primary_key=True, max_length=32)
    published_at: datetime = Field(sa_type=UTCDateTime)
    text_sha256: str = Field(max_length=64)
    effective_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    material: bool = True
    """False: an editorial change (wording), which asks nobody to acknowledge it."""
    text: str | None = Field(default=None, sa_type=Text)
    consent_purposes_added: str = Field(default="", max_length=200)
    """Consent-based purposes this version introduces (comma-separated): announced,
    never consented to by acknowledging the version (a fresh opt-in is needed)."""


class PolicyAcceptance(SQLModel, table=True):
    __tablename__ = "policy_acceptance"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="app_user.id", index=True)
    version: str = Field(foreign_key="policy_version.version", max_length=32)
    method: str = Field(max_length=32)
    accepted_at: datetime = timestamp_field()
