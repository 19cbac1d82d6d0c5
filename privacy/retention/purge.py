"""The purge: every tenant, every rule, in batches (policy section 5; issue 11).

A dry run counts what each rule would remove, per tenant, and changes nothing but its
run record. A real run commits one batch at a time (a crash loses at most one batch and
the next run carries on: every step's selection shrinks as it acts), journals each
action outside the database, writes one audit event per rule that removed something
and finishes its `retention_run` record with the counts.

Holds: a tenant under a tenant-wide hold is skipped whole; otherwise each step leaves
out what a hold on a contact or company covers, and what an open request that needs the
data is about (privacy/holds.py: it protects the data until it completes).
Everything runs in tenant-scoped sessions, so on PostgreSQL under the application's
role and row-level security.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlmodel import col

from core.services import Services
from models import Tenant
from models.base import utcnow
from models.retention import RetentionRun
from privacy.audit import AuditBuffer, retention_purged
from privacy.holds import active_holds
from privacy.retention.rules import tenant_rules
from privacy.retention.steps import STEPS, Pass

Progress = Callable[[str, str, int], None]
"""(tenant slug, step label, rows just handled)."""

BATCH = 200


@dataclass
class TenantReport:
    tenant_id: uuid.UUID
    slug: str
    counts: dict[str, int] = field(default_factory=dict)
    """step label -> rows removed (or, in a dry run, that would be)."""
    held: bool = False
    """Skipped whole: a tenant-wide legal hold."""
    run_id: uuid.UUID | None = None


@dataclass
class PurgeReport:
    dry_run: bool
    tenants: list[TenantReport] = field(default_factory=list)

    def total(self) -> int:
        return sum(sum(t.counts.values()) for t in self.tenants)


async def tenants(services: Services, slug: str | None = None) -> list[tuple[uuid.UUID, str]]:
    async with services.db.session(None) as session:
        stmt = select(col(Tenant.id), col(Tenant.slug)).order_by(col(Tenant.slug))
        if slug is not None:
            stmt = stmt.where(col(Tenant.slug) == slug)
        return [(tenant_id, slug) for tenant_id, slug in await session.execute(stmt)]


async def purge_tenant(
    services: Services,
    tenant_id: uuid.UUID,
    slug: str,
    *,
    dry_run: bool,
    trigger: str,
    now: datetime | None = None,
    progress: Progress | None = None,
    batch: int = BATCH,
) -> TenantReport:
    now = now or utcnow()
    report = TenantReport(tenant_id, slug)
    db, chain_key = services.db, services.settings.audit_key
    async with db.session(tenant_id) as session:
        periods = await tenant_rules(session)
        holds = await active_holds(session)
        run = RetentionRun(tenant_id=tenant_id, started_at=now, dry_run=dry_run, trigger=trigger)
        session.add(run)
        await session.commit()
        report.run_id = run.id
    report.held = holds.whole_tenant
    for step in () if holds.whole_tenant else STEPS:
        period = periods[step.rule.name].period
        if period is None:
            continue
        cutoff, step_holds = now - period, holds
        done = 0
        while True:
            async with db.session(tenant_id) as session:
                cipher = await services.keyring.cipher(session, tenant_id)
                work = Pass(session, cipher, now, cutoff, step_holds, AuditBuffer(), batch)
                if dry_run:
                    done = await step.count(work)
                    break
                handled = await step.run_batch(work)
                await work.audit.flush_public(session, tenant_id, chain_key=chain_key,
                                              actor_type="system")  # fmt: skip
                await session.commit()
            if not handled:
                break
            done += handled
            if progress is not None:
                progress(slug, step.label, handled)
        report.counts[step.label] = report.counts.get(step.label, 0) + done
    async with db.session(tenant_id) as session:
        run = (
            await session.execute(select(RetentionRun).where(col(RetentionRun.id) == run.id))
        ).scalar_one()
        run.counts = json.dumps(report.counts, sort_keys=True)
        run.finished_at = utcnow()
        if not dry_run:
            buffer = AuditBuffer()
            for label, count in report.counts.items():
                if count:
                    retention_purged(buffer, step=label, count=count, run_id=run.id)
            await buffer.flush_public(session, tenant_id, chain_key=chain_key, actor_type="system")
        await session.commit()
    return report


async def purge(
    services: Services,
    *,
    dry_run: bool,
    trigger: str,
    tenant_slug: str | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
    batch: int = BATCH,
) -> PurgeReport:
    """Apply (or, dry, count) every rule for every tenant (or the one named)."""
    report = PurgeReport(dry_run)
    for tenant_id, slug in await tenants(services, tenant_slug):
        report.tenants.append(
            await purge_tenant(
                services,
                tenant_id,
                slug,
                dry_run=dry_run,
                trigger=trigger,
                now=now,
                progress=progress,
                batch=batch,
            )
        )
    return report
