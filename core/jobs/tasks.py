"""The job functions (one definition each; both runners run them). Every one is
idempotent: a second run of a finished job finds nothing left to do."""

from __future__ import annotations

import uuid

from core.jobs.registry import job
from core.services import Services
from privacy.export.jobs import build_export
from privacy.retention.purge import purge_tenant

EXPORT_BUILD = "export.build"
RETENTION_PURGE = "retention.purge"


@job(EXPORT_BUILD)
async def export_build(services: Services, *, tenant_id: str, export_id: str) -> None:
    """Build a queued export package (a package no longer queued is left alone)."""
    await build_export(services, uuid.UUID(tenant_id), uuid.UUID(export_id))


@job(RETENTION_PURGE)
async def retention_purge(services: Services, *, tenant_id: str, slug: str) -> None:
    """One tenant's retention purge (policy section 5: every rule, the minors' deadline
    of section 10 included; privacy/retention/purge.py). Idempotent: what is purged is
    never due again, and a run that stopped halfway resumes."""
    await purge_tenant(services, uuid.UUID(tenant_id), slug, dry_run=False, trigger="schedule")
