"""`ledgerline audit verify [--tenant ID|SLUG]`: recompute each tenant's audit hash chain
(privacy/audit_chain.py) and report the first broken link; exits 1 when one is broken,
so a scheduled run can alert."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

import typer
from rich.console import Console

if TYPE_CHECKING:
    from core.services import Services

console = Console()


async def _tenants(services: Services, wanted: str | None) -> list[tuple[uuid.UUID, str]]:
    from sqlalchemy import or_, select
    from sqlmodel import col

    from models import Tenant

    statement = select(col(Tenant.id), col(Tenant.slug)).order_by(col(Tenant.slug))
    if wanted is not None:
        try:
            by_id: uuid.UUID | None = uuid.UUID(wanted)
        except ValueError:
            by_id = None
        statement = statement.where(or_(col(Tenant.slug) == wanted, col(Tenant.id) == by_id))
    async with services.db.session(None) as session:
        return [(row.id, row.slug) for row in await session.execute(statement)]


async def _verify(wanted: str | None) -> int:
    from core.services import Services
    from core.settings import load_settings
    from privacy.audit_chain import verify_chain

    services = Services.from_settings(load_settings())
    broken = 0
    try:
        tenants = await _tenants(services, wanted)
        if wanted is not None and not tenants:
            console.print(f"[red]no tenant {wanted!r}[/red]")
            return 2
        for tenant_id, slug in tenants:
            async with services.db.session(tenant_id) as session:
                report = await verify_chain(session, services.settings.audit_key, tenant_id)
            if report.verified:
                console.print(f"[green]ok[/green]     {slug}: {report.entries} entries")
            else:
                broken += 1
                where = "" if report.first_broken is None else f" at entry {report.first_broken}"
                console.print(
                    f"[red]BROKEN[/red] {slug}: {report.reason}{where} "
                    f"({report.entries} entries verified before it)"
                )
    finally:
        await services.close()
    return 1 if broken else 0


def register(group: typer.Typer) -> None:
    @group.command("verify")
    def verify(
        tenant: str | None = typer.Option(
            None, "--tenant", help="Only this tenant (its id or slug); default: every tenant."
        ),
    ) -> None:
        """Recompute the audit log's hash chain of each tenant; report the first broken link."""
        raise typer.Exit(asyncio.run(_verify(tenant)))
