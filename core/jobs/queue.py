"""The production runner: procrastinate, the PostgreSQL job queue (issue 15).

Each registered job becomes a procrastinate task with its retry strategy; the serving
process also runs a worker (`LEDGERLINE_JOB_WORKER`), so N server processes are N
workers and no further process is needed. A worker that dies holding a job stops
sending heartbeats; the periodic `retry_stalled_jobs` puts such jobs back in the
queue. The daily `retention.schedule` queues one retention purge per tenant. At
shutdown the worker lets its jobs finish for `JOB_SHUTDOWN_GRACE_S`, then aborts the
rest, which procrastinate retries (they go back to the queue).

procrastinate connects with psycopg as the application's role (the queue's tables
are granted to it in migration 0020; they hold job names and ids, never personal
data). The admin's view reads them through the same connection pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import TYPE_CHECKING, Any, LiteralString

from procrastinate import App, PsycopgConnector
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy.engine import make_url

from core.jobs.registry import JOBS, JobSpec, run
from core.jobs.runner import JobStatus, JobView
from core.jobs.tasks import RETENTION_PURGE

if TYPE_CHECKING:
    from core.services import Services

log = logging.getLogger("ledgerline.jobs")

JOB_SHUTDOWN_GRACE_S = 10.0
"""How long a stopping worker lets its jobs run before it returns them to the queue."""
STALLED_AFTER_S = 30.0
"""A worker silent this long is dead; its jobs are retried (procrastinate's default)."""

PURGE_CRON = "17 3 * * *"
"""The queue's retention purge: daily (LEDGERLINE_PURGE_INTERVAL_S=0 turns it off; the
in-process schedule of privacy/retention/schedule.py is off with the queue)."""

STATUS = {
    "todo": JobStatus.QUEUED,
    "doing": JobStatus.RUNNING,
    "aborting": JobStatus.RUNNING,
    "succeeded": JobStatus.DONE,
    "failed": JobStatus.FAILED,
    "cancelled": JobStatus.FAILED,
    "aborted": JobStatus.FAILED,
}

LIST_JOBS: LiteralString = """
SELECT id, task_name, status::text, attempts FROM procrastinate_jobs
WHERE args->>'tenant_id' = %(tenant_id)s ORDER BY id DESC LIMIT %(limit)s
"""


def conninfo(sqlalchemy_url: str) -> str:
    """libpq's form of an SQLAlchemy PostgreSQL URL (psycopg, not asyncpg)."""
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def build_app(services: Services) -> App:
    app = App(connector=PsycopgConnector(conninfo=conninfo(services.db.url)))
    for spec in JOBS.values():
        _register(app, services, spec)

    @app.periodic(cron="* * * * *", periodic_id="stalled")
    @app.task(name="retry_stalled_jobs", queueing_lock="retry_stalled_jobs", pass_context=False)
    async def retry_stalled_jobs(timestamp: int) -> None:
        """Jobs of workers without a heartbeat for STALLED_AFTER_S go back to the queue."""
        await retry_stalled(app)

    if services.settings.purge_interval_s > 0:

        @app.periodic(cron=PURGE_CRON, periodic_id="retention")
        @app.task(name="retention.schedule", queueing_lock="retention.schedule", pass_context=False)
        async def schedule_purges(timestamp: int) -> None:
            """The daily retention purge: one job per tenant, at most one queued each."""
            await schedule_retention(app, services)

    return app


async def schedule_retention(app: App, services: Services) -> None:
    from privacy.retention.purge import tenants

    for tenant_id, slug in await tenants(services):
        with contextlib.suppress(AlreadyEnqueued):
            await app.configure_task(
                RETENTION_PURGE, queueing_lock=f"{RETENTION_PURGE}:{tenant_id}"
            ).defer_async(tenant_id=str(tenant_id), slug=slug)


async def retry_stalled(app: App) -> int:
    stalled = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER_S)
    for job in stalled:
        log.warning("job %s (%s) was stalled; queued again", job.id, job.task_name)
        await app.job_manager.retry_job(job)
    return len(list(stalled))


def _register(app: App, services: Services, spec: JobSpec) -> None:
    async def task(**arguments: str) -> None:
        await run(spec, services, arguments)

    app.task(name=spec.name, retry=spec.retry, pass_context=False)(task)


class QueueRunner:
    def __init__(self, services: Services) -> None:
        self._services = services
        self.app = build_app(services)
        self._worker: asyncio.Task[None] | None = None

    async def defer(self, name: str, arguments: dict[str, str]) -> None:
        await self.app.configure_task(name).defer_async(**arguments)

    async def jobs(self, tenant_id: uuid.UUID, limit: int) -> list[JobView]:
        rows: list[dict[str, Any]] = await self.app.connector.execute_query_all_async(
            LIST_JOBS,
            tenant_id=str(tenant_id),
            limit=limit,
        )
        return [
            JobView(str(r["id"]), r["task_name"], STATUS[r["status"]], r["attempts"]) for r in rows
        ]

    async def start(self) -> None:
        await self.app.open_async()
        if self._services.settings.job_worker:
            self._worker = asyncio.create_task(self.work(), name="procrastinate-worker")

    async def work(self, *, wait: bool = True) -> None:
        await self.app.run_worker_async(
            wait=wait,
            install_signal_handlers=False,
            shutdown_graceful_timeout=JOB_SHUTDOWN_GRACE_S,
            stalled_worker_timeout=STALLED_AFTER_S,
            concurrency=self._services.settings.job_concurrency,
        )

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()  # the worker's own graceful shutdown
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        await self.app.close_async()
