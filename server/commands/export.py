"""`ledgerline privacy export`: build a person's export package from the command line
(policy section 9; issue 10), with a progress bar.

`--request` answers a privacy request exactly as `startPrivacyExport` does (the same
checks: an open, verified access or portability request); `--contact` exports a
contact's data with no request (an operator's export, e.g. before offboarding). The
package is the same ZIP, recorded and expiring like any other; `--out` also copies it
to a file of your choice.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

if TYPE_CHECKING:
    from core.services import Services

console = Console(stderr=True)


class Refused(Exception):
    """The export cannot be made; the message says why."""


def _uuid(text: str, type_name: str) -> uuid.UUID | None:
    from resolvers.global_ids import try_decode

    try:
        return uuid.UUID(text)
    except ValueError:
        return try_decode(text, type_name)


async def _queue(
    services: Services, tenant: str, request: str | None, contact: str | None
) -> tuple[uuid.UUID, uuid.UUID]:
    """The queued export's (tenant id, export id), or Refused."""
    from sqlalchemy import select
    from sqlmodel import col

    from core.errors import AppError
    from models import Contact, PrivacyRequest, Tenant
    from models.tenant_guard import INCLUDE_TRASHED
    from privacy.audit import AuditBuffer
    from privacy.export import audit
    from privacy.export.jobs import new_export
    from resolvers.exports import check_exportable

    async with services.db.session(None) as session:
        found_tenant = (
            await session.execute(select(Tenant).where(col(Tenant.slug) == tenant.lower()))
        ).scalar_one_or_none()
    if found_tenant is None:
        raise Refused(f"no tenant {tenant!r}")
    async with services.db.session(found_tenant.id) as session:
        request_id = contact_id = user_id = None
        if request is not None:
            wanted = _uuid(request, "PrivacyRequest")
            found = None if wanted is None else await session.get(PrivacyRequest, wanted)
            if found is None:
                raise Refused("no such privacy request in this tenant")
            try:
                check_exportable(found)
            except AppError as exc:
                raise Refused(f"{exc.message} ({exc.code.value})") from exc
            request_id, contact_id, user_id = found.id, found.contact_id, found.user_id
        else:
            wanted = _uuid(contact or "", "Contact")
            person = (
                None
                if wanted is None  # a contact in the trash is still held: exported too
                else await session.get(Contact, wanted, execution_options={INCLUDE_TRASHED: True})
            )
            if person is None:
                raise Refused("no such contact in this tenant")
            contact_id = person.id
        export = new_export(
            services, tenant_id=found_tenant.id, request_id=request_id,
            contact_id=contact_id, user_id=user_id,
        )  # fmt: skip
        session.add(export)
        await session.flush()
        buffer = AuditBuffer()
        subject = f"contact {contact_id}" if contact_id else f"account {user_id}"
        audit.export_started(buffer, export_id=export.id, request_id=request_id, subject=subject)
        await buffer.flush_public(
            session, found_tenant.id, chain_key=services.settings.audit_key, actor_type="cli"
        )
        await session.commit()
        return found_tenant.id, export.id


async def _build(
    tenant: str, request: str | None, contact: str | None, progress: Progress
) -> tuple[str, str | None, str | None]:
    from core.services import Services
    from privacy.export.jobs import build_export
    from server.cli import _settings

    services = Services.from_settings(_settings())
    try:
        tenant_id, export_id = await _queue(services, tenant, request, contact)
        task = progress.add_task("building the export package", total=100)
        built = await build_export(
            services,
            tenant_id,
            export_id,
            on_progress=lambda value: progress.update(task, completed=value),
        )
    finally:
        await services.close()
    if built is None:
        raise Refused("the export could not be started")
    return built.status, built.file_path, built.error


def export_command(
    tenant: str = typer.Option(..., "--tenant", help="The tenant's slug."),
    request: str | None = typer.Option(
        None, "--request", help="A verified access or portability request (id or global id)."
    ),
    contact: str | None = typer.Option(
        None, "--contact", help="A contact (id or global id), without a request."
    ),
    out: Path | None = typer.Option(None, "--out", help="Also copy the ZIP to FILE."),
) -> None:
    """Build a person's export package (ZIP) with a progress bar."""
    if (request is None) == (contact is None):
        console.print("[red]Give exactly one of --request and --contact.[/red]")
        raise typer.Exit(2)
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn())
    try:
        with Progress(*columns, console=console) as progress:
            status, path, error = asyncio.run(_build(tenant, request, contact, progress))
    except Refused as exc:
        console.print(f"[red]Refused:[/red] {exc}")
        raise typer.Exit(1) from exc
    if status != "done" or path is None:
        console.print(f"[red]The export failed:[/red] {error}")
        raise typer.Exit(1)
    if out is not None:
        shutil.copyfile(path, out)
        console.print(f"wrote {out}")
    console.print(f"export package: {path}")


def register(group: typer.Typer) -> None:
    group.command("export")(export_command)
