"""The commands (issue 10): `ledgerline privacy sweep` (zero hits after a canary's
erasure; a planted marker is found, exit status 1) and `ledgerline tenant delete
--shred` (confirmation, refusal under a legal hold, deletion)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from auth.accounts import bootstrap
from core.services import Services
from core.settings import Settings
from models import LegalHold
from models.tenancy import Tenant
from server.cli import app
from tests.support.world import make_tenant


def workspace(settings: Settings, hold: bool = False) -> str:
    """A new workspace's slug (with an active legal hold if asked)."""

    async def make() -> str:
        services = Services.from_settings(settings)
        try:
            await bootstrap(services)
            world = await make_tenant(services, f"Offboard {uuid.uuid4().hex[:6]}")
            async with services.db.session(world.tenant_id) as session:
                if hold:
                    session.add(LegalHold(tenant_id=world.tenant_id, reason="claim"))
                slug = (
                    await session.execute(select(Tenant.slug).where(Tenant.id == world.tenant_id))
                ).scalar_one()
                await session.commit()
            return slug
        finally:
            await services.close()

    return asyncio.run(make())


def exists(settings: Settings, slug: str) -> bool:
    async def look() -> bool:
        services = Services.from_settings(settings)
        try:
            async with services.db.session(None) as session:
                found = await session.execute(select(Tenant.id).where(Tenant.slug == slug))
                return found.first() is not None
        finally:
            await services.close()

    return asyncio.run(look())


def test_sweep_canary_reports_zero_hits(settings: Settings) -> None:
    result = CliRunner().invoke(app, ["privacy", "sweep", "--canary"])
    assert result.exit_code == 0, result.output
    assert "zero hits" in result.output


def test_sweep_finds_a_planted_marker_and_exits_1(settings: Settings, tmp_path: Path) -> None:
    planted = tmp_path / "planted"
    planted.mkdir()
    (planted / "note.txt").write_text("cnry-planted-0001 was here")
    result = CliRunner().invoke(
        app, ["privacy", "sweep", "--marker", "cnry-planted-0001", "--path", str(planted)]
    )
    assert result.exit_code == 1 and "note.txt" in result.output


def test_tenant_delete_needs_shred(settings: Settings) -> None:
    slug = workspace(settings)
    result = CliRunner().invoke(app, ["tenant", "delete", slug, "--yes"])
    assert result.exit_code == 2 and exists(settings, slug)


def test_tenant_delete_without_the_typed_slug_deletes_nothing(settings: Settings) -> None:
    slug = workspace(settings)
    result = CliRunner().invoke(app, ["tenant", "delete", slug, "--shred"], input="other\n")
    assert result.exit_code == 1 and exists(settings, slug)


def test_tenant_delete_with_the_typed_slug_deletes_the_workspace(settings: Settings) -> None:
    slug = workspace(settings)
    result = CliRunner().invoke(app, ["tenant", "delete", slug, "--shred"], input=f"{slug}\n")
    assert result.exit_code == 0, result.output
    assert not exists(settings, slug)


def test_tenant_delete_under_a_legal_hold_is_refused(settings: Settings) -> None:
    slug = workspace(settings, hold=True)
    result = CliRunner().invoke(app, ["tenant", "delete", slug, "--shred", "--yes"])
    assert result.exit_code == 1 and "LEGAL_HOLD" in result.output
    assert exists(settings, slug)
