"""`ledgerline tenant delete SLUG --shred`: tenant offboarding (privacy/offboarding.py).

Deletes every row of the workspace and destroys its data key, after a confirmation
(type the slug, or pass --yes). Refused while a legal hold is active. Export what the
organisation needs first: nothing can be read back afterwards.
"""

from __future__ import annotations

import asyncio

import typer


async def _delete(slug: str, yes: bool) -> None:
    from core.errors import AppError
    from core.services import Services
    from privacy.offboarding import find_tenant, offboard
    from server.cli import _settings, console

    services = Services.from_settings(_settings())
    try:
        tenant = await find_tenant(services, slug)
        if tenant is None:
            console.print(f"no workspace with the slug {slug!r}")
            raise typer.Exit(1)
        if not yes:
            typed = typer.prompt(
                f"This deletes workspace {tenant.slug!r} and destroys its data key; nothing "
                "can be recovered. Type the slug to confirm"
            )
            if typed.strip() != tenant.slug:
                console.print("not confirmed; nothing deleted")
                raise typer.Exit(1)
        try:
            report = await offboard(services, tenant)
        except AppError as exc:
            console.print(f"[red]refused[/red] ({exc.code.value}): {exc.message}")
            raise typer.Exit(1) from exc
        for table, rows in sorted(report.rows.items()):
            if rows:
                console.print(f"  {table}: {rows} rows deleted")
        console.print(f"[green]deleted[/green] workspace {report.slug}; its data key is destroyed")
    finally:
        await services.close()


def register(group: typer.Typer) -> None:
    @group.command("delete")
    def delete(
        slug: str = typer.Argument(..., help="The workspace's slug."),
        shred: bool = typer.Option(
            False, "--shred", help="Required: delete every row and destroy the data key."
        ),
        yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
    ) -> None:
        """Offboard a workspace: delete its data and destroy its key (refused under a
        legal hold)."""
        from server.cli import console

        if not shred:
            console.print("--shred is required: deleting a workspace destroys its data key")
            raise typer.Exit(2)
        asyncio.run(_delete(slug, yes))
