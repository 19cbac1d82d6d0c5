"""The purge on a schedule inside the server (policy section 5; issue 11): an asyncio
task started and stopped with the application's lifespan, one run every
LEDGERLINE_PURGE_INTERVAL_S seconds (the first one interval after start; 0: off). A
failed run is logged and retried at the next interval; the purge resumes where it
stopped. Deployments with several servers may turn it off and run `ledgerline retention
purge` from one scheduler instead (the purge is idempotent, so an overlap is harmless).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from core.services import Services
from privacy.retention.purge import purge

log = logging.getLogger("ledgerline.retention")


class PurgeSchedule:
    def __init__(self, services: Services, interval_s: float) -> None:
        self.services = services
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self.interval_s > 0 and self._task is None:
            self._task = asyncio.create_task(self._loop(), name="retention-purge")

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                report = await purge(self.services, dry_run=False, trigger="schedule")
                log.info("retention purge: %d rows", report.total())
            except Exception:
                log.exception("retention purge failed; retrying at the next interval")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
