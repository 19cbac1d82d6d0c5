"""W6: the API over HTTP, server on core 0, load generator on core 1.

The server is uvicorn on `server.app:app_factory` (one process, ENV=development, the
bench's DATABASE_URL, a very high rate limit, no access log), pinned with
`taskset -c 0`; `bench.loadgen` runs pinned with `taskset -c 1`. Requests carry a real
bearer token minted for a SALES member of tenant 1 (open_session + issue_access_token).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from typing import Any

import orjson

from bench import config
from bench.seeding import Manifest

PLAN = (("W4", 1), ("W4", 8), ("W4", 32), ("W1", 8), ("W3", 8))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pin(core: int) -> list[str]:
    return ["taskset", "-c", str(core)] if shutil.which("taskset") and os.cpu_count() else []


async def mint_token(manifest: Manifest) -> str:
    from auth.permissions import Role
    from auth.principal import Principal
    from bench.harness import sign_in
    from core.services import Services
    from core.settings import load_settings

    services = Services.from_settings(load_settings())
    try:
        tenant, user = manifest.tenant_id(0), manifest.user_id("sales")
        return await sign_in(services, Principal.for_role(user, tenant, Role.SALES, "bearer"))
    finally:
        await services.close()


def _wait_healthy(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not become healthy")


def run_http(
    database: str, manifest: Manifest, w4_id: str, duration_s: float, log: Any
) -> list[dict[str, Any]]:
    token = asyncio.run(mint_token(manifest))
    port = _free_port()
    env = dict(os.environ)
    cmd = [*_pin(0), sys.executable, "-m", "uvicorn", "server.app:app_factory", "--factory",
           "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
           "--log-level", "warning", "--ws", "none"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, cwd=config.ROOT)
    records = []
    try:
        _wait_healthy(port, proc)
        bodies = {
            "W1": {"query": config.W1},
            "W3": {"query": config.W3},
            "W4": {"query": config.W4, "variables": {"id": w4_id}},
        }
        for workload, concurrency in PLAN:
            spec = {
                "host": "127.0.0.1", "port": port, "path": "/graphql", "token": token,
                "body": orjson.dumps(bodies[workload]).decode(), "concurrency": concurrency,
                "warmup_s": 1.0, "duration_s": duration_s,
                "min_requests": 4 * concurrency, "max_duration_s": 4 * duration_s,
            }  # fmt: skip
            out = subprocess.run(
                [*_pin(1), sys.executable, "-m", "bench.loadgen", orjson.dumps(spec).decode()],
                capture_output=True, check=True, cwd=config.ROOT, env=env,
            )  # fmt: skip
            result = orjson.loads(out.stdout)
            if result["errors"] or result["requests"] == 0:
                log(f"  [http] {workload} c={concurrency}: ERRORS {result['first_body']!r}")
            log(
                f"  [http {database}] {workload} c={concurrency}: {result['rps']:.0f} req/s, "
                f"p50 {result['p50_ms'] or 0:.1f} ms, p99 {result['p99_ms'] or 0:.1f} ms"
            )
            records.append(
                {
                    "workload": "W6",
                    "operation": workload,
                    "database": database,
                    "variant": f"http-{workload}",
                    "role": "sales",
                    "concurrency": concurrency,
                    "median_ms": result["p50_ms"],
                    "p99_ms": result["p99_ms"],
                    "p90_ms": result["p90_ms"],
                    "twin_ratio": None,
                    "limit_ratio": None,
                    "sql_statements": None,
                    "rps": result["rps"],
                    "requests": result["requests"],
                    "errors": result["errors"],
                    "peak_rss_mb": None,
                    "pinned": bool(_pin(0)),
                }
            )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    return records
