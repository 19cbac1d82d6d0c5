"""In-process background work (export builds), tracked so shutdown ends it cleanly.

The embedded default has no job queue: a build runs as an asyncio task of the serving
process. Every task is kept here (one per process, on `Services`), so shutdown first
gives them a moment to finish and then cancels the rest and waits for them: no task is
left writing to a closed database. A failure is logged, never lost silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

log = logging.getLogger("ledgerline.background")


class BackgroundTasks:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[object]] = set()

    def spawn(self, work: Coroutine[Any, Any, object], *, name: str) -> asyncio.Task[object]:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[object]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    @property
    def running(self) -> int:
        return len(self._tasks)

    async def wait(self) -> None:
        """Until every task started so far has ended (tests, the CLI)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def stop(self, grace_s: float = 5.0) -> None:
        """Let running tasks finish for up to `grace_s`, then cancel and await the rest."""
        pending = set(self._tasks)
        if pending:
            _, pending = await asyncio.wait(pending, timeout=grace_s)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


_PENDING = "ledgerline_background_pending"
Work = Callable[[], Coroutine[Any, Any, object]]


def spawn_after_commit(
    session: AsyncSession, tasks: BackgroundTasks, work: Work, *, name: str
) -> None:
    """Start `work()` once `session`'s transaction commits; never if it rolls back (a
    refused mutation starts nothing). Like core.mail.send_after_commit."""
    sync = session.sync_session
    if not sync.in_transaction():
        sync.begin()
    session.info.setdefault(_PENDING, []).append((tasks, work, name))


@event.listens_for(Session, "after_commit")
def _start_pending(session: Session) -> None:
    for tasks, work, name in session.info.pop(_PENDING, ()):
        tasks.spawn(work(), name=name)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction: Any) -> None:
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)
