"""The embedded default's runner: each job is an asyncio task of the serving process
(core/background.py), retried with the job's backoff. The admin's view is this
process's memory: the embedded default is one process, and a restart forgets the
list (an export's own row still tells how it ended)."""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from procrastinate.jobs import Job

from core.jobs.registry import JOBS, JobSpec, run
from core.jobs.runner import JobStatus, JobView

if TYPE_CHECKING:
    from core.services import Services

log = logging.getLogger("ledgerline.jobs")

KEPT = 500
"""Finished jobs remembered for the admin's view, oldest forgotten first."""


@dataclass(frozen=True)
class _Entry:
    view: JobView
    tenant_id: str


def _backoff(spec: JobSpec, exc: Exception, attempts: int) -> float | None:
    """Seconds until the next attempt (None: no more), by the job's own strategy."""
    job = Job(queue="in-process", lock=None, queueing_lock=None, task_name=spec.name,
              attempts=attempts)  # fmt: skip
    decision = spec.retry.get_retry_decision(exception=exc, job=job)
    if decision is None:
        return None
    due = decision.retry_at or datetime.now(UTC)
    return max(0.0, (due - datetime.now(UTC)).total_seconds())


class InProcessRunner:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._ids = itertools.count(1)
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    async def defer(self, name: str, arguments: dict[str, str]) -> None:
        job_id = str(next(self._ids))
        self._set(job_id, arguments["tenant_id"], JobView(job_id, name, JobStatus.QUEUED, 0))
        self._services.background.spawn(self._run(job_id, arguments), name=f"job-{name}")
        while len(self._entries) > KEPT:
            self._entries.popitem(last=False)

    async def _run(self, job_id: str, arguments: dict[str, str]) -> None:
        entry = self._entries[job_id]
        spec = JOBS[entry.view.name]
        attempts = 0
        while True:
            self._update(job_id, JobStatus.RUNNING, attempts)
            try:
                await run(spec, self._services, arguments)
            except Exception as exc:
                wait = _backoff(spec, exc, attempts)
                attempts += 1
                if wait is None:
                    log.exception("job %s (%s) failed", job_id, spec.name)
                    self._update(job_id, JobStatus.FAILED, attempts)
                    return
                self._update(job_id, JobStatus.QUEUED, attempts)
                await asyncio.sleep(wait)
                continue
            self._update(job_id, JobStatus.DONE, attempts + 1)
            return

    def _set(self, job_id: str, tenant_id: str, view: JobView) -> None:
        self._entries[job_id] = _Entry(view, tenant_id)

    def _update(self, job_id: str, status: JobStatus, attempts: int) -> None:
        entry = self._entries.get(job_id)
        if entry is not None:
            view = replace(entry.view, status=status, attempts=attempts)
            self._entries[job_id] = replace(entry, view=view)

    async def jobs(self, tenant_id: uuid.UUID, limit: int) -> list[JobView]:
        mine = [e.view for e in self._entries.values() if e.tenant_id == str(tenant_id)]
        return mine[::-1][:limit]

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None  # the tasks are services.background's: stopped with it
