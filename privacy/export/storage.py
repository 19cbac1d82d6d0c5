"""Export files on disk, and their deletion once expired (policy sections 5 and 9).

A package is written to the export directory (LEDGERLINE_EXPORT_DIR, by default
`<data dir>/exports`) under a random name, readable by the server's user alone, and
kept for LEDGERLINE_EXPORT_RETENTION_DAYS days (7 by default, the data map's
`export_file` rule). `purge_expired_exports` deletes the files whose time is up and
marks their rows `expired`; the retention purge calls it for each tenant.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.exports import PrivacyExport

LIVE = ("queued", "running", "done", "failed")
"""Statuses a purge still has to look at (only `expired` is final)."""


def write_package(directory: Path, body: bytes) -> Path:
    """The ZIP, written under a random name, mode 0600, fsynced before it counts."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / f"export-{secrets.token_hex(16)}.zip"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(body)
        out.flush()
        os.fsync(out.fileno())
    return path


def remove_file(path: str | None) -> None:
    if path:
        with contextlib.suppress(FileNotFoundError):
            Path(path).unlink()


def _expire(found: Sequence[PrivacyExport], now: datetime) -> None:
    for export in found:
        remove_file(export.file_path)
        export.status = "expired"
        export.file_path = None
        export.updated_at = now


async def purge_expired_exports(session: AsyncSession, *, now: datetime, dry_run: bool) -> int:
    """Delete the files of the session's tenant's exports that expired by `now` and mark
    their rows `expired` (file path cleared). Returns how many expired; with `dry_run`
    nothing is deleted or changed. The caller commits."""
    found = (
        (
            await session.execute(
                select(PrivacyExport).where(
                    col(PrivacyExport.status).in_(LIVE),
                    col(PrivacyExport.expires_at).is_not(None),
                    col(PrivacyExport.expires_at) <= now,
                )
            )
        )
        .scalars()
        .all()
    )
    if not dry_run:
        _expire(found, now)
        await session.flush()
    return len(found)


async def discard_exports_of(session: AsyncSession, *, contact_id: uuid.UUID, now: datetime) -> int:
    """Erasure (policy section 9): a person's export packages are copies of their data,
    so erasing the person deletes them at once, whatever their expiry."""
    found = (
        (
            await session.execute(
                select(PrivacyExport).where(
                    col(PrivacyExport.contact_id) == contact_id, col(PrivacyExport.status).in_(LIVE)
                )
            )
        )
        .scalars()
        .all()
    )
    _expire(found, now)
    await session.flush()
    return len(found)
