"""`make bench`: seed (or reuse) the benchmark databases, measure, print, record.

    python -m bench.run [--quick] [--skip-postgres] [--skip-http]

SQLite always; PostgreSQL (`ledgerline_bench`, as `ledgerline_app` under RLS) when
reachable; W6 over HTTP on PostgreSQL when reachable, else on SQLite. Writes
bench/results/latest.json and bench/results/ratios.png.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from bench import config, report
from bench.config import Size, apply_env, bench_env
from bench.harness import Rounds, Target, run_inprocess
from bench.seeding import (
    Manifest,
    drop_postgres_work_db,
    ensure_sqlite,
    finish_postgres_seeding,
    pg_url,
    postgres_reachable,
    sqlite_url,
    start_postgres_seeding,
    working_copy,
)


@dataclass
class Options:
    size: Size = field(default_factory=lambda: config.FULL)
    rounds: Rounds = field(default_factory=Rounds)
    cache_dir: Path = config.CACHE_DIR
    postgres: bool = True
    http: bool = True
    memory: bool = True
    http_duration_s: float = 5.0
    inproc_core: int | None = config.INPROC_CORE


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _memory(manifest: Manifest) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.memory", manifest.dump()],
        capture_output=True, check=True, cwd=config.ROOT, env=dict(os.environ),
    )  # fmt: skip
    return orjson.loads(out.stdout)


async def _inprocess(database: str, manifest: Manifest, limit_url: str, opts: Options) -> Any:
    target = await Target.open(database, manifest, limit_url)
    try:
        return await run_inprocess(target, opts.rounds, log)
    finally:
        await target.close()


@contextlib.contextmanager
def pinned(core: int | None) -> Iterator[int | None]:
    """Pins every thread of this process to one core (as the HTTP server is), restores."""
    if core is None or not hasattr(os, "sched_setaffinity"):
        yield None
        return
    allowed = os.sched_getaffinity(0)
    if core not in allowed:
        core = min(allowed)
    try:
        tids = [int(t) for t in os.listdir("/proc/self/task")]
    except OSError:
        tids = [0]
    saved = {}
    for tid in tids:
        try:
            saved[tid] = os.sched_getaffinity(tid)
            os.sched_setaffinity(tid, {core})
        except OSError:  # a thread that ended meanwhile
            pass
    try:
        yield core
    finally:
        for tid, cpus in saved.items():
            with contextlib.suppress(OSError):
                os.sched_setaffinity(tid, cpus)


def _measure_database(
    database: str, url: str, limit_url: str, manifest: Manifest, opts: Options
) -> list[dict[str, Any]]:
    apply_env(bench_env(url, opts.cache_dir / "data"))
    with pinned(opts.inproc_core) as core:
        records = asyncio.run(_inprocess(database, manifest, limit_url, opts))
    for r in records:
        r["pinned_core"] = core
    if opts.memory:
        mem = _memory(manifest)
        ratio = mem["growth_mb"] * 1024 * 1024 / mem["response_bytes"]
        log(f"  [{database}] W1 memory: +{mem['growth_mb']:.1f} MB peak RSS growth for a "
            f"{mem['response_bytes'] / 1024:.0f} KB response ({ratio:.1f}x)")  # fmt: skip
        for r in records:
            if r["workload"] == "W1":
                r["peak_rss_mb"] = mem["peak_rss_mb"]
        records.append({
            "workload": "W1", "database": database, "variant": "memory", "role": "sales",
            "concurrency": None, "median_ms": None, "p99_ms": None, "twin_ratio": None,
            "limit_ratio": None, "sql_statements": None, "rps": None,
            "peak_rss_mb": mem["peak_rss_mb"], "rss_before_mb": mem["rss_before_mb"],
            "growth_mb": mem["growth_mb"], "response_bytes": mem["response_bytes"],
            "steady_growth_mb": mem.get("steady_growth_mb"),
            "rss_over_response": ratio,
        })  # fmt: skip
    return records


def core(opts: Options) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Everything but the printing: returns the records and facts about the run."""
    facts: dict[str, Any] = {"start": report.conditions()}
    started = time.perf_counter()
    pg_seeding, pg_skipped = None, None
    if opts.postgres:
        pg_skipped = postgres_reachable()
        if pg_skipped is None:
            log("seeding / reusing PostgreSQL (in a subprocess, beside SQLite)")
            pg_seeding = start_postgres_seeding(opts.size, opts.cache_dir)
        else:
            log(f"PostgreSQL skipped: {pg_skipped}")
            facts["postgres_skipped"] = pg_skipped
    log(f"seeding / reusing SQLite ({opts.size})")
    cached, manifest = ensure_sqlite(opts.size, opts.cache_dir)
    facts["sqlite_seed_s"] = manifest.seed_seconds if manifest.seeded_now else 0.0
    pg_manifest = finish_postgres_seeding(pg_seeding) if pg_seeding is not None else None
    if pg_manifest is not None:
        facts["postgres_seed_s"] = pg_manifest.seed_seconds if pg_manifest.seeded_now else 0.0
    facts["seeding_wall_s"] = time.perf_counter() - started
    work = working_copy(cached, opts.cache_dir / "work")
    records = _measure_database("sqlite", sqlite_url(work), sqlite_url(work), manifest, opts)
    http_db, http_manifest = "sqlite", manifest
    http_url = sqlite_url(work)
    if pg_manifest is not None:
        url = pg_url(config.PG_DB)
        records += _measure_database("postgresql", url, url, pg_manifest, opts)
        http_db, http_manifest, http_url = "postgresql", pg_manifest, url
    if opts.http:
        from bench.w6_http import run_http

        probe = next(r for r in records if r["workload"] == "W4" and r["database"] == http_db)
        apply_env(bench_env(http_url, opts.cache_dir / "data"))
        log(f"W6 over HTTP on {http_db}")
        records += run_http(http_db, http_manifest, probe["contact_id"], opts.http_duration_s, log)
    if pg_manifest is not None:
        drop_postgres_work_db()
    facts["total_s"] = time.perf_counter() - started
    facts["end"] = report.conditions()
    machine = {**report.machine(), "inproc_core": opts.inproc_core,
               "start": facts["start"], "end": facts["end"]}  # fmt: skip
    stamp = {"commit": report.commit(), "machine": machine}
    for r in records:
        r.update(stamp)
        report.evaluate(r)
    return records, facts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="development run: small seed, 3 short rounds"
    )
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--results-dir", type=Path, default=config.RESULTS_DIR)
    args = parser.parse_args(argv)
    opts = Options(postgres=not args.skip_postgres, http=not args.skip_http)
    if args.quick:
        opts.size, opts.rounds, opts.http_duration_s = config.QUICK, Rounds.quick(), 1.0
    records, facts = core(opts)
    print(report.table(records))
    seeds = ", ".join(
        f"{k.removesuffix('_s')} {v:.0f} s" for k, v in facts.items() if k.endswith("seed_s") and v
    )
    m = records[0]["machine"]
    print(f"\ntotal {facts['total_s']:.0f} s (seeding: {seeds or 'cached'}); "
          f"commit {records[0]['commit'][:12]}; {m['cpu_model']}, {m['cores']} cores, "
          f"Python {m['python']}, governor {m['governor'] or 'not visible'}; load average "
          f"{m['start']['loadavg']} at the start, {m['end']['loadavg']} at the end")  # fmt: skip
    unstable = [r for r in records if r.get("stable") is False]
    if unstable:
        print(f"{len(unstable)} row(s) UNRELIABLE (spread over ±{unstable[0]['spread_bound']:.0%}"
              " or below the hand-written limit): rerun on a quieter machine")  # fmt: skip
    if "postgres_skipped" in facts:
        print(f"PostgreSQL not measured: {facts['postgres_skipped']}")
    report.write_json(records, args.results_dir / "latest.json")
    if report.chart(records, args.results_dir / "ratios.png"):
        print(f"wrote {args.results_dir / 'latest.json'} and {args.results_dir / 'ratios.png'}")
    else:
        print(f"wrote {args.results_dir / 'latest.json'} (no chart: matplotlib is not installed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
