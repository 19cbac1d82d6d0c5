"""The one definition of each background job: name, function, retry policy.

Both runners read this registry, so a job behaves the same in process and on the
queue. Arguments are strings (ids), so a job's row on the queue holds no personal
data, and `tenant_id` is always one of them (the admin's view filters by it). Retry
with backoff is procrastinate's `RetryStrategy` for both runners (one formula).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from procrastinate import RetryStrategy

if TYPE_CHECKING:
    from core.services import Services

JobFunction = Callable[..., Awaitable[None]]
"""`async def work(services, *, tenant_id: str, **ids: str) -> None`; idempotent: a
second run of a finished job changes nothing."""

DEFAULT_RETRY = RetryStrategy(max_attempts=5, exponential_wait=2)
"""Waits 4, 8, 16, 32 s between the five attempts."""


@dataclass(frozen=True)
class JobSpec:
    name: str
    function: JobFunction
    retry: RetryStrategy


JOBS: dict[str, JobSpec] = {}


def job(name: str, *, retry: RetryStrategy = DEFAULT_RETRY) -> Callable[[JobFunction], JobFunction]:
    """Register `function` as the job `name` (names are unique)."""

    def register(function: JobFunction) -> JobFunction:
        if name in JOBS and JOBS[name].function is not function:
            raise ValueError(f"job {name!r} is defined twice")
        JOBS[name] = JobSpec(name, function, retry)
        return function

    return register


async def run(spec: JobSpec, services: Services, arguments: dict[str, str]) -> None:
    await spec.function(services, **arguments)
