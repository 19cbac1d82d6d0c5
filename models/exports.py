"""Export packages: the file a person's access or portability request is answered with
(policy section 9; GDPR Art. 15 and 20, CCPA's right to know; issue 10).

One row per package built for a privacy request (`request_id`), or for a contact an
operator exports from the command line (no request). The subject is a contact of the
tenant or an account holder (`user_id`, who exported their own account). The ZIP file
itself lives in the export directory (`file_path`), never in the database, and is
deleted once `expires_at` has passed (privacy/export/storage.py); the row stays, marked
`expired`, as the record that the request was answered.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field

from models.base import TenantScoped, UTCDateTime

EXPORT_STATUSES = ("queued", "running", "done", "failed", "expired")

SUBJECT_CHECK = "(contact_id IS NULL) <> (user_id IS NULL)"
"""Exactly one subject: a contact or an account holder."""


class PrivacyExport(TenantScoped, table=True):
    __tablename__ = "privacy_export"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id", name="uq_privacy_export_tenant_id"),
        CheckConstraint(SUBJECT_CHECK, name="ck_privacy_export_subject"),
        CheckConstraint("progress >= 0 AND progress <= 100", name="ck_privacy_export_progress"),
        Index("ix_privacy_export_tenant_request", "tenant_id", "request_id"),
        Index("ix_privacy_export_tenant_expiry", "tenant_id", "status", "expires_at"),
    )

    request_id: uuid.UUID | None = None
    """The privacy request answered (None: an operator's export from the CLI)."""
    contact_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    requested_by: uuid.UUID | None = None
    """The member who started the build (None: the command line)."""
    status: str = Field(default="queued", max_length=16)
    progress: int = Field(default=0)
    """0-100, written by the build as it goes."""
    file_path: str | None = Field(default=None, max_length=1000)
    """Absolute path of the ZIP in the export directory; None before it is built and
    after it is deleted."""
    sha256: str | None = Field(default=None, max_length=64)
    size_bytes: int | None = None
    error: str | None = Field(default=None, max_length=200)
    """Why a build failed, in words without personal data."""
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When the file is deleted (set when the build finishes)."""
    downloaded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """The first download through a signed link."""
