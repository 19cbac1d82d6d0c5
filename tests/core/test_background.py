"""In-process background work (core/background.py): started only when the transaction
that asked for it commits, and ended cleanly at shutdown."""

from __future__ import annotations

import asyncio

from core.background import BackgroundTasks, spawn_after_commit
from core.services import Services
from models import Tenant


async def test_shutdown_lets_short_work_finish_and_cancels_the_rest() -> None:
    tasks = BackgroundTasks()
    finished: list[str] = []

    async def short() -> None:
        await asyncio.sleep(0)
        finished.append("short")

    async def endless() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            finished.append("endless ended")

    tasks.spawn(short(), name="short")
    tasks.spawn(endless(), name="endless")
    await tasks.stop(grace_s=0.05)
    assert finished == ["short", "endless ended"]
    assert tasks.running == 0


async def test_work_starts_after_commit_and_never_after_a_rollback(services: Services) -> None:
    started: list[str] = []

    async def work(name: str) -> None:
        started.append(name)

    for outcome in ("commit", "rollback"):
        async with services.db.session(None) as session:
            session.add(Tenant(name=outcome, slug=f"bg-{outcome}"))
            spawn_after_commit(
                session, services.background, lambda o=outcome: work(o), name=outcome
            )
            assert services.background.running == 0
            await (session.commit() if outcome == "commit" else session.rollback())
        await services.background.wait()
    assert started == ["commit"]
