"""After a restore from backup, `reapply` re-applies the erasures and purges done since
(issue 11, policy section 5): the journal outside the database remembers them, and a
restored older copy of the SQLite file is brought back to the erased state."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from auth.accounts import bootstrap
from core.services import Services
from core.settings import Settings
from models import Contact
from privacy.retention.journal import read
from privacy.retention.reapply import reapply
from privacy.retention.trash import trashed
from resolvers.global_ids import decode_id
from tests.erasure.conftest import ERASE
from tests.retention.conftest import World, ago


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a live WAL-mode file (SQLite's online backup)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


async def erased(services: Services, world: World, gid: str) -> bool:
    async with services.db.session(world.world.tenant_id) as session:
        stmt = trashed(Contact).where(Contact.id == decode_id(gid)[1])
        contact = (await session.execute(stmt)).scalar_one()
        return contact.erased_at is not None and contact.last_name is None


async def test_a_restored_copy_gets_its_erasures_and_purges_back(
    world: World, settings: Settings, tmp_path: Path
) -> None:
    asked = await world.contact(lastName="Asked")
    deleted = await world.contact(lastName="Deleted")
    await world.delete(deleted)
    await world.age(deleted, deleted_at=ago(31))
    database = Path(settings.database_url.split("///", 1)[1])
    backup = tmp_path / "backup.db"
    copy_database(database, backup)

    await world.ok(ERASE, c=asked)
    await world.purge()
    assert [e.action for e in read(settings.retention_journal)] == ["erase_contacts"] * 2
    await world.services.close()

    copy_database(backup, database)  # the restore: everything since the backup is gone
    services = Services.from_settings(settings)
    try:
        await bootstrap(services)
        assert [await erased(services, world, g) for g in (asked, deleted)] == [False, False]
        done = await reapply(services)
        assert dict(done) == {"erase_contacts": 2}
        assert [await erased(services, world, g) for g in (asked, deleted)] == [True, True]
        assert dict(await reapply(services)) == {"erase_contacts": 2}  # idempotent
        async with services.db.session(world.world.tenant_id) as session:
            erased_rows = (
                (
                    await session.execute(
                        trashed(Contact)
                        .with_only_columns(Contact.id)
                        .where(
                            Contact.erased_at.is_not(None)  # type: ignore[union-attr]
                        )
                    )
                )
                .scalars()
                .all()
            )
        assert len(erased_rows) == 2
    finally:
        await services.close()


async def test_a_refused_erasure_is_not_journaled(world: World, settings: Settings) -> None:
    contact = await world.contact()
    await world.hold(contact=contact)
    result = await world.run(ERASE, c=contact)
    assert result.errors
    assert list(read(settings.retention_journal)) == []
