"""`ledgerline privacy export` (issue 10): builds the same package from the command
line, for a verified request or a contact, and refuses what the API refuses."""

from __future__ import annotations

import asyncio
import zipfile
from pathlib import Path

from typer.testing import CliRunner

from auth.accounts import bootstrap
from core.services import Services
from core.settings import Settings
from server.cli import app
from tests.privacy.export.conftest import Planted, add_request, plant
from tests.support.world import make_tenant


def seeded(settings: Settings) -> tuple[str, Planted, str]:
    """(tenant slug, the planted person, an unverified request's id), made on a loop of
    its own: the command runs its own event loop."""

    async def seed() -> tuple[str, Planted, str]:
        services = Services.from_settings(settings)
        try:
            await bootstrap(services)
            world = await make_tenant(services, "Initech")
            planted = await plant(services, world)
            unverified = await add_request(
                services, world, contact_id=planted.person, verified=False
            )
            return "initech", planted, str(unverified)
        finally:
            await services.close()

    return asyncio.run(seed())


def test_the_command_builds_the_package_for_a_request(settings: Settings, tmp_path: Path) -> None:
    slug, planted, _ = seeded(settings)
    out = tmp_path / "package.zip"
    result = CliRunner().invoke(
        app, ["privacy", "export", "--tenant", slug, "--request", planted.request_gid,
              "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        assert "manifest.json" in archive.namelist()
        assert planted.own["email"].encode() in archive.read("data.json")


def test_the_command_exports_a_contact_without_a_request(
    settings: Settings, tmp_path: Path
) -> None:
    slug, planted, _ = seeded(settings)
    out = tmp_path / "contact.zip"
    result = CliRunner().invoke(
        app, ["privacy", "export", "--tenant", slug, "--contact", str(planted.person),
              "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert zipfile.is_zipfile(out)


def test_the_command_refuses_an_unverified_request(settings: Settings) -> None:
    slug, _, unverified = seeded(settings)
    result = CliRunner().invoke(
        app, ["privacy", "export", "--tenant", slug, "--request", unverified]
    )
    assert result.exit_code == 1
    assert "IDENTITY_NOT_VERIFIED" in result.output


def test_the_command_needs_exactly_one_subject(settings: Settings) -> None:
    result = CliRunner().invoke(app, ["privacy", "export", "--tenant", "initech"])
    assert result.exit_code == 2
