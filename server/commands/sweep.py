"""`ledgerline privacy sweep`: the canary sweep of policy section 9 (privacy/sweep.py).

`--marker M` looks for M in the raw database (SQLite file and WAL after a checkpoint,
every table; every PostgreSQL table), the logs and the export directory, plus any
`--path`; `--canary` seeds a fresh marker in a scratch workspace, erases it, sweeps,
and deletes the scratch workspace. Exit status 1 when anything is found.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from privacy.sweep import Hit


def _report(hits: list[Hit], marker: str) -> None:
    from server.cli import console

    for hit in hits:
        console.print(f"[red]found[/red] {marker} in {hit.place}")
    if hits:
        raise typer.Exit(1)
    console.print(f"[green]zero hits[/green] for {marker}")


async def _search(marker: str, paths: list[Path]) -> list[Hit]:
    from core.services import Services
    from privacy.sweep import search
    from server.cli import _settings

    services = Services.from_settings(_settings())
    try:
        return await search(services, marker, paths)
    finally:
        await services.close()


async def _canary(marker: str) -> list[Hit]:
    from auth.accounts import create_tenant
    from core.services import Services
    from privacy.offboarding import offboard
    from privacy.sweep import canary
    from server.cli import _settings

    services = Services.from_settings(_settings())
    try:
        async with services.db.session(None) as session:
            scratch = await create_tenant(services, session, "canary sweep", "eu")
            await session.commit()
        try:
            return await canary(services, scratch.id, marker)
        finally:
            await offboard(services, scratch)
    finally:
        await services.close()


def register(group: typer.Typer) -> None:
    @group.command("sweep")
    def sweep(
        marker: str | None = typer.Option(None, help="The marker to look for."),
        canary: bool = typer.Option(
            False, help="Seed a new marker in a scratch workspace, erase it, then sweep."
        ),
        path: list[Path] = typer.Option([], help="Another file or directory to search."),
    ) -> None:
        """Search the raw database, the logs and the exports for a marker (zero hits
        expected after an erasure); exit status 1 if it is found anywhere."""
        from privacy.sweep import new_marker
        from server.cli import console

        if canary:
            chosen = marker or new_marker()
            console.print(f"canary {chosen}: seeded, erased, sweeping")
            _report(asyncio.run(_canary(chosen)), chosen)
            return
        if not marker or len(marker) < 8:
            console.print("--marker (at least 8 characters) or --canary is required")
            raise typer.Exit(2)
        _report(asyncio.run(_search(marker, path)), marker)
