"""The job functions (one definition each; both runners run them). Every one is
idempotent: a second run of a finished job finds nothing left to do."""

from __future__ import annotations

import uuid

from core.jobs.registry import job
from core.services import Services
from models.base import utcnow
from privacy.audit import AuditBuffer
from privacy.export.jobs import build_export
from privacy.minors import purge_flagged_minors

EXPORT_BUILD = "export.build"
MINORS_PURGE = "minors.purge"


@job(EXPORT_BUILD)
async def export_build(services: Services, *, tenant_id: str, export_id: str) -> None:
    """Build a queued export package (a package no longer queued is left alone)."""
    await build_export(services, uuid.UUID(tenant_id), uuid.UUID(export_id))


@job(MINORS_PURGE)
async def minors_purge(services: Services, *, tenant_id: str) -> None:
    """Erase a tenant's contacts flagged as minors past the deadline (policy section 10)."""
    tenant = uuid.UUID(tenant_id)
    audit = AuditBuffer()
    async with services.db.session(tenant) as session:
        cipher = await services.keyring.cipher(session, tenant)
        await purge_flagged_minors(session, now=utcnow(), dry_run=False, cipher=cipher, audit=audit)
        await audit.flush_public(
            session, tenant, chain_key=services.settings.audit_key, actor_type="job"
        )
        await session.commit()
