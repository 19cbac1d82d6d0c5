"""`ledgerline retention purge [--dry-run] [--tenant SLUG]` and `ledgerline retention
reapply [--since WHEN]` (policy section 5; issue 11). The work is in privacy/retention/;
here are the arguments, the progress bar (rich) and the report table."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

console = Console(stderr=True)


def _print_report(report: object) -> None:
    from privacy.retention.purge import PurgeReport

    assert isinstance(report, PurgeReport)
    title = "would be removed (dry run)" if report.dry_run else "removed"
    table = Table("tenant", "rule", "rows", title=f"Retention purge: rows {title}")
    for tenant in report.tenants:
        if tenant.held:
            table.add_row(tenant.slug, "[yellow]skipped: legal hold on the workspace[/]", "")
        for label, count in tenant.counts.items():
            table.add_row(tenant.slug, label, str(count))
    Console().print(table)


async def _purge(dry_run: bool, tenant: str | None) -> None:
    from core.services import Services
    from privacy.retention.purge import purge
    from server.cli import _settings

    services = Services.from_settings(_settings())
    try:
        if dry_run:
            _print_report(await purge(services, dry_run=True, trigger="cli", tenant_slug=tenant))
            return
        planned = await purge(services, dry_run=True, trigger="cli", tenant_slug=tenant)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=console) as bar:
            task = bar.add_task("purging", total=max(planned.total(), 1))

            def advance(slug: str, label: str, rows: int) -> None:
                bar.update(task, advance=rows, description=f"{slug}: {label}")

            report = await purge(
                services, dry_run=False, trigger="cli", tenant_slug=tenant, progress=advance
            )
            bar.update(task, completed=max(planned.total(), 1), description="done")
        _print_report(report)
    finally:
        await services.close()


async def _reapply(since: datetime | None) -> None:
    from core.services import Services
    from privacy.retention.reapply import reapply
    from server.cli import _settings

    services = Services.from_settings(_settings())
    try:
        with Progress(TextColumn("{task.description}"), console=console) as bar:
            task = bar.add_task("re-applying the retention journal")
            done = await reapply(
                services,
                since=since,
                progress=lambda e: bar.update(task, description=f"{e.tenant_id}: {e.action}"),
            )
        for action, count in sorted(done.items()):
            console.print(f"{action}: {count} entries re-applied")
        if not done:
            console.print("nothing to re-apply")
    finally:
        await services.close()


def register(group: typer.Typer) -> None:
    @group.command("purge")
    def purge_command(
        dry_run: bool = typer.Option(
            False, "--dry-run", help="Only count what each rule would remove, per tenant."
        ),
        tenant: str | None = typer.Option(None, "--tenant", help="Only this tenant (slug)."),
    ) -> None:
        """Remove what each retention rule has let expire (idempotent, resumable)."""
        asyncio.run(_purge(dry_run, tenant))

    @group.command("reapply")
    def reapply_command(
        since: datetime | None = typer.Option(
            None,
            "--since",
            help="Only journal entries after this time (UTC; e.g. when the backup was "
            "taken). Default: the whole journal (every action is idempotent).",
        ),
    ) -> None:
        """After a restore from backup: re-apply the erasures and purges done since."""
        when = since.replace(tzinfo=UTC) if since and since.tzinfo is None else since
        asyncio.run(_reapply(when))
