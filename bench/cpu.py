"""What a block of requests cost: CPU time, ours and the database server's, beside wall time.

On a shared 2-core machine other processes take the core for seconds at a time, so the
wall time of a block depends on who else ran then; CPU time does not. A request's cost
is the CPU time of this process (CLOCK_PROCESS_CPUTIME_ID: the API, the twin or the
limit, and SQLite, which runs in-process) plus, on PostgreSQL, the CPU time of the
server processes serving the benchmark database (`/proc/<pid>/schedstat`, nanoseconds):
the hand-written limit's work is mostly in the server, the API's mostly here, and both
are counted. The server processes are found once per round (`refresh`, a /proc scan);
the readings around each request, outside its timing, read only those.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Reading:
    wall_s: float
    own_s: float
    backends_ns: dict[int, int] = field(default_factory=dict)


def _on_cpu_ns(pid: str) -> int | None:
    try:
        with open(f"/proc/{pid}/schedstat", "rb") as f:
            return int(f.read().split(None, 1)[0])
    except (OSError, ValueError, IndexError):
        return None


class CpuMeter:
    """Wall time and CPU time (ours, plus PostgreSQL's for database `pg_database`)."""

    def __init__(self, pg_database: str | None = None) -> None:
        self._marker = f" {pg_database} ".encode() if pg_database else None
        self._pids: list[int] = []

    def backends(self) -> dict[int, int]:
        """CPU nanoseconds of each server process connected to the benchmark database."""
        if self._marker is None:
            return {}
        found: dict[int, int] = {}
        try:
            entries = os.listdir("/proc")
        except OSError:
            return {}
        for pid in entries:
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    title = f.read(200)
            except OSError:
                continue
            # backends retitle themselves "postgres: 15/main: user database host state"
            if title.startswith(b"postgres: ") and self._marker in title:
                ns = _on_cpu_ns(pid)
                if ns is not None:
                    found[int(pid)] = ns
        return found

    def refresh(self) -> None:
        """Finds the server processes to follow (a /proc scan, a millisecond or two)."""
        self._pids = list(self.backends())

    def read(self) -> Reading:
        """Cheap: our CPU clock and the followed server processes' schedstat."""
        backends = {}
        for pid in self._pids:
            ns = _on_cpu_ns(str(pid))
            if ns is not None:
                backends[pid] = ns
        return Reading(time.perf_counter(), time.process_time(), backends)

    def read_end(self) -> Reading:
        wall, own = time.perf_counter(), time.process_time()
        backends = {}
        for pid in self._pids:
            ns = _on_cpu_ns(str(pid))
            if ns is not None:
                backends[pid] = ns
        return Reading(wall, own, backends)

    @staticmethod
    def server_s(start: Reading, end: Reading) -> float:
        """The followed server processes' CPU seconds between two readings."""
        server_ns = sum(
            ns - start.backends_ns[pid] for pid, ns in end.backends_ns.items()
            if pid in start.backends_ns
        )  # fmt: skip
        return server_ns / 1e9

    @staticmethod
    def cost_s(start: Reading, end: Reading) -> float:
        """CPU seconds between two readings: ours and the followed server processes'."""
        return (end.own_s - start.own_s) + CpuMeter.server_s(start, end)
