"""Building an export package: the row, the background build with its progress, the
finished file (policy section 9; issue 10).

`new_export` records a queued package (in the caller's transaction); `build_export`
builds it: status `running`, progress written to the row in short transactions of its
own (so the API and the CLI see it move), the ZIP written to the export directory,
then `done` with the file's hash, size and expiry, all audited. A failure marks the row
`failed` with a reason in words and leaves no file behind. On the server the build runs
as a background task (`schedule_export`, started when the transaction that queued it
commits); the CLI awaits it directly.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.jobs.runner import enqueue_after_commit
from core.services import Services
from models.base import utcnow
from models.exports import PrivacyExport
from privacy.audit import AuditBuffer
from privacy.export import audit
from privacy.export.collect import (
    ExportContent,
    Progress,
    SubjectGone,
    collect_account,
    collect_contact,
)
from privacy.export.package import build_zip
from privacy.export.storage import remove_file, write_package

log = logging.getLogger("ledgerline.export")

OnProgress = Callable[[int], None]


def retention(services: Services) -> timedelta:
    return timedelta(days=services.settings.export_retention_days)


def new_export(
    services: Services,
    *,
    tenant_id: uuid.UUID,
    request_id: uuid.UUID | None,
    contact_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    requested_by: uuid.UUID | None = None,
) -> PrivacyExport:
    """A queued export; it expires like a finished one if it is never built."""
    now = utcnow()
    return PrivacyExport(
        tenant_id=tenant_id,
        request_id=request_id,
        contact_id=contact_id,
        user_id=user_id,
        requested_by=requested_by,
        created_at=now,
        updated_at=now,
        expires_at=now + retention(services),
    )


def schedule_export(services: Services, session: AsyncSession, export: PrivacyExport) -> None:
    """Build `export` as a background job (core/jobs/tasks.py) once `session` commits."""
    enqueue_after_commit(
        services, session, "export.build", tenant_id=export.tenant_id, export_id=str(export.id)
    )


async def _set(
    services: Services, tenant_id: uuid.UUID, export_id: uuid.UUID, **values: object
) -> None:
    async with services.db.session(tenant_id) as session:
        await session.execute(
            update(PrivacyExport)
            .where(col(PrivacyExport.id) == export_id)
            .values(updated_at=utcnow(), **values)
            .execution_options(synchronize_session=False)
        )
        await session.commit()


async def _collect(services: Services, export: PrivacyExport, progress: Progress) -> ExportContent:
    async with services.db.session(export.tenant_id) as session:
        cipher = await services.keyring.cipher(session, export.tenant_id)
        if export.contact_id is not None:
            return await collect_contact(
                session, cipher.decrypt, export.contact_id, export.request_id, progress
            )
        assert export.user_id is not None  # the table's check: exactly one subject
        return await collect_account(
            services, session, cipher.decrypt, export.user_id, export.tenant_id,
            export.request_id, progress,
        )  # fmt: skip


async def _finish(
    services: Services, export: PrivacyExport, path: Path, body: bytes, now: datetime
) -> None:
    buffer = AuditBuffer()
    audit.export_built(buffer, export_id=export.id, size_bytes=len(body))
    async with services.db.session(export.tenant_id) as session:
        found = await session.get(PrivacyExport, export.id)
        assert found is not None
        found.status, found.progress = "done", 100
        found.file_path, found.size_bytes = str(path), len(body)
        found.sha256 = hashlib.sha256(body).hexdigest()
        found.finished_at, found.updated_at = now, now
        found.expires_at = now + retention(services)
        await _audit_as_job(services, session, buffer, export)
        await session.commit()


async def _audit_as_job(
    services: Services, session: AsyncSession, buffer: AuditBuffer, export: PrivacyExport
) -> None:
    """The build's audit events, in the tenant's chain, by the job for its requester."""
    await buffer.flush_public(
        session,
        export.tenant_id,
        chain_key=services.settings.audit_key,
        actor_id=export.requested_by,
        actor_type="job",
    )


async def _fail(services: Services, export: PrivacyExport, reason: str) -> None:
    buffer = AuditBuffer()
    audit.export_failed(buffer, export_id=export.id)
    async with services.db.session(export.tenant_id) as session:
        found = await session.get(PrivacyExport, export.id)
        if found is not None:
            found.status, found.error = "failed", reason
            found.finished_at = found.updated_at = utcnow()
            await _audit_as_job(services, session, buffer, export)
            await session.commit()


async def build_export(
    services: Services,
    tenant_id: uuid.UUID,
    export_id: uuid.UUID,
    on_progress: OnProgress | None = None,
) -> PrivacyExport | None:
    """Build one queued export; returns its row as finished (None if it is gone or
    not queued). Never raises for a failed build: the row says `failed`; a build
    cancelled at shutdown is marked `failed` too, and the cancellation goes on."""
    async with services.db.session(tenant_id) as session:
        export = await session.get(PrivacyExport, export_id)
        if export is None or export.status != "queued":
            return None
        export.status, export.progress, export.updated_at = "running", 5, utcnow()
        await session.commit()

    async def report(value: int) -> None:
        await _set(services, tenant_id, export_id, progress=value)
        if on_progress is not None:
            on_progress(value)

    if on_progress is not None:
        on_progress(5)
    path: Path | None = None
    try:
        content = await _collect(services, export, report)
        now = utcnow()
        body = await asyncio.to_thread(build_zip, content, now)
        await report(90)
        path = await asyncio.to_thread(write_package, services.settings.export_dir, body)
        await _finish(services, export, path, body, now)
    except SubjectGone:
        await _fail(services, export, "the person no longer exists in this organisation")
    except asyncio.CancelledError:
        remove_file(str(path) if path else None)
        await _fail(services, export, "the build was stopped: the server shut down")
        raise
    except Exception:
        remove_file(str(path) if path else None)
        log.exception("export %s failed", export_id)
        await _fail(services, export, "the package could not be built")
        return await _reload(services, tenant_id, export_id)
    if on_progress is not None:
        on_progress(100)
    return await _reload(services, tenant_id, export_id)


async def _reload(
    services: Services, tenant_id: uuid.UUID, export_id: uuid.UUID
) -> PrivacyExport | None:
    async with services.db.session(tenant_id) as session:
        return await session.get(PrivacyExport, export_id)
