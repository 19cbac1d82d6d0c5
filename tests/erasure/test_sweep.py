"""The canary sweep (policy section 9; issue 10): a person whose every text carries a
marker is erased, and the marker is then nowhere: not in any table, not in the SQLite
file, its WAL or free pages, not on PostgreSQL, not in the logs or the export
directory. And the sweep does find a marker that is there."""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

from sqlalchemy import select

from core.services import Services
from models import Contact
from privacy.erasure import erase_person
from privacy.sweep import canary, new_marker, search
from tests.erasure.conftest import plant_export, seed
from tests.support.world import TenantWorld


async def test_the_sweep_finds_a_canary_that_was_not_erased(
    backend: Services, world: TenantWorld
) -> None:
    marker = new_marker()
    await seed(backend, world, marker)
    places = {hit.place for hit in await search(backend, marker)}
    assert {"table contact", "table consent_event"} <= places
    assert places.isdisjoint({"table deal", "table activity"})  # encrypted at rest there


async def test_after_erasure_the_sweep_finds_nothing(backend: Services, world: TenantWorld) -> None:
    assert await canary(backend, world.tenant_id, new_marker()) == []


async def test_the_sqlite_file_and_wal_hold_no_trace_after_erasure(
    services: Services, tenant_a: TenantWorld
) -> None:
    marker = new_marker()
    hits = await canary(services, tenant_a.tenant_id, marker)
    database = Path(services.settings.data_dir) / "ledgerline.db"
    assert hits == [] and marker.encode() not in database.read_bytes()


async def test_nothing_logged_during_an_erasure_holds_the_marker(
    services: Services, tenant_a: TenantWorld
) -> None:
    logs = Path(services.settings.data_dir) / "logs"
    logs.mkdir()
    handler = logging.FileHandler(logs / "ledgerline.log")
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        hits = await canary(services, tenant_a.tenant_id, new_marker())
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
        handler.close()
    assert (logs / "ledgerline.log").exists() and hits == []


async def test_the_sweep_reads_inside_export_archives(services: Services, tmp_path: Path) -> None:
    marker = new_marker()
    exports = tmp_path / "exports"
    exports.mkdir()
    with zipfile.ZipFile(exports / "package.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", f'{{"name": "{marker}"}}' + " " * 500)
    hits = await search(services, marker)
    assert [h.place for h in hits] == [f"file {exports / 'package.zip'}!data.json"]


async def test_erasure_deletes_the_persons_export_packages(
    services: Services, tenant_a: TenantWorld
) -> None:
    marker = new_marker()
    contact_id = await seed(services, tenant_a, marker)
    package = await plant_export(services, tenant_a, contact_id, marker)
    async with services.db.session(tenant_a.tenant_id) as session:
        cipher = await services.keyring.cipher(session, tenant_a.tenant_id)
        contact = (
            await session.execute(select(Contact).where(Contact.id == contact_id))
        ).scalar_one()
        await erase_person(session, cipher, contact, actor=None)
        await session.commit()
    assert not package.exists() and await search(services, marker) == []
