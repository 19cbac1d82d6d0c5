"""Jobs defined only for these tests: one that fails a given number of times, one that
waits to be released, one that records its runs (core/jobs/registry.py)."""

from __future__ import annotations

import asyncio
from collections import Counter

from procrastinate import RetryStrategy

from core.jobs.registry import job
from core.services import Services

RUNS: Counter[str] = Counter()
"""Attempts per `key` argument, in this process."""
RELEASE = asyncio.Event()


@job("test.flaky", retry=RetryStrategy(max_attempts=3, wait=0))
async def flaky(services: Services, *, tenant_id: str, key: str, failures: str) -> None:
    """Fails its first `failures` attempts."""
    RUNS[key] += 1
    if RUNS[key] <= int(failures):
        raise RuntimeError(f"attempt {RUNS[key]} of {key} fails")


@job("test.record", retry=RetryStrategy(max_attempts=1, wait=0))
async def record(services: Services, *, tenant_id: str, key: str) -> None:
    RUNS[key] += 1
