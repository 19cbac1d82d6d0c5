"""A small closed-loop HTTP/1.1 load generator (keep-alive, one connection per worker).

Run pinned to its own core: `taskset -c 1 python -m bench.loadgen SPEC_JSON`, where the
spec has host, port, path, body, token, concurrency, warmup_s and duration_s. Prints
JSON: requests, errors, rps, p50/p90/p99 in ms. Latency is per request, send to last
byte; the first response body is checked for GraphQL errors.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from typing import Any

import orjson


def _request(spec: dict[str, Any]) -> bytes:
    body = spec["body"].encode()
    head = (
        f"POST {spec['path']} HTTP/1.1\r\nHost: {spec['host']}:{spec['port']}\r\n"
        f"Authorization: Bearer {spec['token']}\r\nContent-Type: application/json\r\n"
        f"Accept: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _worker(spec: dict[str, Any], payload: bytes, state: dict[str, Any]) -> None:
    reader, writer = await asyncio.open_connection(spec["host"], spec["port"])
    clock = time.perf_counter
    try:
        while not state["stop"]:
            started = clock()
            writer.write(payload)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = await reader.readexactly(length)
            elapsed = clock() - started
            if state["first_body"] is None:
                state["first_body"] = body[:300]
            ok = status == 200 and not body.startswith(b'{"errors"')
            if state["measuring"]:
                state["latencies"].append(elapsed)
                if not ok:
                    state["errors"] += 1
    finally:
        writer.close()


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    payload = _request(spec)
    state: dict[str, Any] = {"stop": False, "measuring": False, "latencies": [], "errors": 0,
                             "first_body": None}  # fmt: skip
    tasks = [asyncio.create_task(_worker(spec, payload, state)) for _ in range(spec["concurrency"])]
    await asyncio.sleep(spec["warmup_s"])
    state["measuring"] = True
    started = time.perf_counter()
    await asyncio.sleep(spec["duration_s"])
    # Slow operations: keep measuring until enough requests completed (bounded).
    minimum, cap = spec.get("min_requests", 0), spec.get("max_duration_s", spec["duration_s"])
    while len(state["latencies"]) < minimum and time.perf_counter() - started < cap:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    state["measuring"] = False
    elapsed = time.perf_counter() - started
    state["stop"] = True
    await asyncio.wait(tasks, timeout=30)
    lat = sorted(x * 1000 for x in state["latencies"])
    n = len(lat)

    def pct(q: float) -> float | None:
        return lat[min(n - 1, max(0, int(-(-q * n // 1)) - 1))] if n else None

    first = state["first_body"] or b""
    return {
        "requests": n,
        "errors": state["errors"],
        "rps": n / elapsed,
        "p50_ms": statistics.median(lat) if n else None,
        "p90_ms": pct(0.90),
        "p99_ms": pct(0.99),
        "first_body": first.decode(errors="replace"),
    }


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass
    sys.stdout.write(orjson.dumps(asyncio.run(run(orjson.loads(sys.argv[1])))).decode() + "\n")
