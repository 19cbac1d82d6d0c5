"""`ledgerline retention purge [--dry-run] [--tenant]` and `reapply`, and the purge on a
schedule inside the server (issue 11)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from typer.testing import CliRunner

from models import RetentionRun
from privacy.retention.schedule import PurgeSchedule
from server.cli import app
from tests.retention.conftest import World, ago


async def trashed_long_ago(world: World) -> None:
    contact = await world.contact()
    await world.delete(contact)
    await world.age(contact, deleted_at=ago(31))


async def runs(world: World) -> list[tuple[str, bool]]:
    async with world.services.db.session(world.world.tenant_id) as session:
        found = (await session.execute(select(RetentionRun))).scalars().all()
    return [(run.trigger, run.dry_run) for run in found]


async def invoke(*args: str) -> str:
    """The command in a thread: it runs its own event loop."""
    result = await asyncio.to_thread(CliRunner().invoke, app, ["retention", *args])
    assert result.exit_code == 0, result.output
    return result.output


async def test_the_dry_run_command_prints_each_rule_per_tenant_and_removes_nothing(
    world: World,
) -> None:
    await trashed_long_ago(world)
    output = await invoke("purge", "--dry-run", "--tenant", "acme-corp")
    line = next(x for x in output.splitlines() if "trash: contacts (erased)" in x)
    assert "acme-corp" in line and line.split()[-2:] == ["1", "│"]
    assert await runs(world) == [("cli", True)]


async def test_the_purge_command_removes_and_reports(world: World) -> None:
    await trashed_long_ago(world)
    await invoke("purge")
    assert sorted(await runs(world)) == [("cli", False), ("cli", True)]
    output = await invoke("purge", "--dry-run")
    line = next(x for x in output.splitlines() if "trash: contacts (erased)" in x)
    assert line.split()[-2:] == ["0", "│"]


async def test_the_reapply_command_reports_what_it_replayed(world: World) -> None:
    await trashed_long_ago(world)
    await invoke("purge")
    assert "erase_contacts: 1 entries re-applied" in await invoke("reapply")


async def test_the_scheduled_purge_runs_every_interval_until_stopped(world: World) -> None:
    await trashed_long_ago(world)
    schedule = PurgeSchedule(world.services, 0.05)
    schedule.start()
    try:
        for _ in range(100):
            await asyncio.sleep(0.05)
            if ("schedule", False) in await runs(world):
                break
    finally:
        await schedule.stop()
    assert not schedule.running
    assert ("schedule", False) in await runs(world)


def test_the_schedule_is_off_when_its_interval_is_zero() -> None:
    schedule = PurgeSchedule(None, 0)  # type: ignore[arg-type]  # never used when off
    schedule.start()
    assert not schedule.running
