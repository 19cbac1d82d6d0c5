"""What the rest of the code sees of the job runners: queue a job when a transaction
commits, list a tenant's jobs, start and stop with the process."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from core.background import spawn_after_commit
from core.settings import ConfigurationError

if TYPE_CHECKING:
    from core.services import Services
    from core.settings import Settings


class JobStatus(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    FAILED = "failed"
    DONE = "done"


@dataclass(frozen=True)
class JobView:
    """One job as an admin sees it: ids and states only, never its arguments."""

    id: str
    name: str
    status: JobStatus
    attempts: int


class JobRunner(Protocol):
    async def defer(self, name: str, arguments: dict[str, str]) -> None: ...

    async def jobs(self, tenant_id: uuid.UUID, limit: int) -> list[JobView]: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def in_process_purge_interval(settings: Settings) -> int:
    """The server's own purge loop runs only without the queue (which schedules it)."""
    return 0 if settings.job_queue == "procrastinate" else settings.purge_interval_s


def make_runner(services: Services) -> JobRunner:
    """In process on the embedded default; the procrastinate queue when configured."""
    import core.jobs.tasks  # noqa: F401  (registers every job)

    if services.settings.job_queue == "procrastinate":
        from core.jobs.queue import QueueRunner

        if not services.settings.is_postgres:
            raise ConfigurationError("LEDGERLINE_JOB_QUEUE=procrastinate needs PostgreSQL")

        return QueueRunner(services)
    from core.jobs.inprocess import InProcessRunner

    return InProcessRunner(services)


def enqueue_after_commit(
    services: Services, session: AsyncSession, name: str, *, tenant_id: uuid.UUID, **ids: str
) -> None:
    """Queue job `name` once `session` commits; never if it rolls back (so the worker
    never sees a row that was not written)."""
    arguments = {"tenant_id": str(tenant_id), **ids}
    spawn_after_commit(
        session,
        services.background,
        lambda: services.jobs.defer(name, arguments),
        name=f"defer-{name}",
    )
