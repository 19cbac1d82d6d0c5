"""The in-process harness: the API, its no-policy twin and the limit, side by side.

Every request goes through `server.execution.execute_operation` (the path the HTTP
view uses) with a real Principal of tenant 1 and is serialized with orjson the way the
view sends it. Variants are interleaved round by round (the order rotates), so noise on
this shared machine hits them alike; ratios are of medians taken in the same run.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import event

from auth.permissions import Role
from auth.principal import Principal
from bench import config
from bench.limit import Limit
from bench.seeding import Manifest

Fn = Callable[[], Awaitable[bytes]]


@dataclass
class Rounds:
    w1: int = 30
    w2: int = 30
    w3: int = 15
    w4: int = 300
    w5: int = 60
    warmup: int = 2

    @classmethod
    def quick(cls) -> Rounds:
        return cls(1, 1, 1, 1, 1, warmup=1)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(-(-q * len(ordered) // 1)) - 1))
    return ordered[rank]


def summary(ms: list[float]) -> dict[str, float]:
    return {"median_ms": statistics.median(ms), "p99_ms": percentile(ms, 0.99)}


class StatementCounter:
    """Counts statements on an engine with a `before_cursor_execute` listener."""

    def __init__(self, engine: Any) -> None:
        self.sync_engine = engine.sync_engine
        self.statements: list[str] = []

    def _on(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    async def count(self, fn: Fn) -> tuple[int, dict[str, int]]:
        self.statements = []
        event.listen(self.sync_engine, "before_cursor_execute", self._on)
        try:
            await fn()
        finally:
            event.remove(self.sync_engine, "before_cursor_execute", self._on)
        kinds: dict[str, int] = {}
        for s in self.statements:
            head = s.lstrip().split(None, 1)[0].upper() if s.strip() else "?"
            if "set_config(" in s:
                head = "SCOPE"
            kinds[head] = kinds.get(head, 0) + 1
        # Reads only: the write-behind audit may flush during a long request, and the
        # RLS scope statement is not a level of the query (both stay in `kinds`).
        return kinds.get("SELECT", 0), kinds


async def interleaved(variants: dict[str, Fn], rounds: int, warmup: int) -> dict[str, list[float]]:
    names = list(variants)
    for _ in range(warmup):
        for name in names:
            await variants[name]()
    times: dict[str, list[float]] = {n: [] for n in names}
    clock = time.perf_counter
    for r in range(rounds):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            fn = variants[name]
            started = clock()
            await fn()
            times[name].append((clock() - started) * 1000.0)
    return times


def response_bytes(result: Any) -> bytes:
    """What the HTTP view sends: data, errors and extensions (redactions)."""
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [e.formatted for e in result.errors]
    if result.extensions:
        body["extensions"] = result.extensions
    return orjson.dumps(body)


@dataclass
class Target:
    """One database under test, with the API, the twin and the limit wired to it."""

    database: str
    services: Any
    schema: Any
    twin_schema: Any
    limits: dict[Role, Limit]
    manifest: Manifest
    principals: dict[Role, Principal] = field(default_factory=dict)

    @classmethod
    async def open(cls, database: str, manifest: Manifest, limit_url: str) -> Target:
        from bench.twin import build_twin_schema
        from models.db import make_engine
        from privacy.audit import AuditSink
        from schema.build import build_schema
        from schema.extensions import schema_extensions
        from server.services import Services
        from server.settings import load_settings

        settings = load_settings()
        services = Services.from_settings(settings)
        # As in the served app (server/app.py): read audit goes to the write-behind sink.
        sink = services.extras["audit_sink"] = AuditSink(services.db)
        sink.start()
        schema = build_schema(extensions=schema_extensions(settings))
        twin = build_twin_schema(extensions=schema_extensions(settings))
        tenant = manifest.tenant_id(0)
        principals = {
            role: Principal.for_role(
                manifest.user_id(role.value), tenant, role, "bearer", uuid.uuid4()
            )
            for role in (Role.SALES, Role.READ_ONLY)
        }
        async with services.db.session(tenant) as session:
            cipher = await services.keyring.cipher(session, tenant)
        limit_engine = make_engine(limit_url)
        limit = Limit(limit_engine, cipher, tenant, database == "postgresql")
        return cls(database, services, schema, twin, {r: limit for r in principals},
                   manifest, principals)  # fmt: skip

    async def close(self) -> None:
        await next(iter(self.limits.values())).engine.dispose()
        await self.services.extras["audit_sink"].stop()
        await self.services.close()

    async def execute(self, schema: Any, role: Role, query: str, variables: Any = None) -> Any:
        from server.context import RequestContext
        from server.execution import execute_operation

        ctx = RequestContext(services=self.services, principal=self.principals[role])
        result = await execute_operation(schema, ctx, query, variables)
        if result.errors:
            raise RuntimeError(f"{self.database} {role.value}: {result.errors}")
        return result

    def op(
        self, schema: Any, role: Role, query: str, variables: Callable[[], Any] | None = None
    ) -> Fn:
        async def run() -> bytes:
            result = await self.execute(schema, role, query, variables() if variables else None)
            return response_bytes(result)

        return run


def _fresh_contact() -> dict[str, Any]:
    tag = uuid.uuid4().hex[:12]
    return {"input": {"firstName": "Bench", "lastName": f"Writer {tag}",
                      "email": f"bench.{tag}@example.com", "source": "bench"}}  # fmt: skip


def _ratio(a: float, b: float | None) -> float | None:
    return None if not b else a / b


async def run_inprocess(
    target: Target, rounds: Rounds, log: Callable[[str], None]
) -> list[dict[str, Any]]:
    sales, read_only = Role.SALES, Role.READ_ONLY
    api, twin = target.schema, target.twin_schema
    limit = target.limits[sales]
    p_sales, p_ro = target.principals[sales], target.principals[read_only]
    records: list[dict[str, Any]] = []
    counter_api = StatementCounter(target.services.db.engine)
    counter_limit = StatementCounter(limit.engine)

    # Equality checks, once per run: the limit's JSON is the API's `{"data": ...}`.
    checks: dict[str, bool] = {}
    w1_api = await target.execute(api, sales, config.W1)
    api_data = orjson.dumps({"data": w1_api.data})
    limit_data = await limit.contacts_page(p_sales, 1000)
    checks["W1"] = api_data == limit_data
    if not checks["W1"]:
        raise AssertionError("W1: the limit's JSON differs from the API's JSON")
    w2_api = await target.execute(api, read_only, config.W1)
    checks["W2"] = orjson.dumps({"data": w2_api.data}) == await limit.contacts_page(p_ro, 1000)
    w3_api = await target.execute(api, sales, config.W3)
    checks["W3"] = orjson.dumps({"data": w3_api.data}) == await limit.n_plus_one()
    nodes = w1_api.data["contacts"]["nodes"]
    probe = next((n for n in nodes if n["email"]), nodes[0])
    from resolvers.global_ids import decode_id

    probe_uuid = decode_id(probe["id"], "Contact")[1]
    w4_vars = {"id": probe["id"]}
    w4_api = await target.execute(api, sales, config.W4, w4_vars)
    checks["W4"] = orjson.dumps({"data": w4_api.data}) == await limit.contact_by_id(
        p_sales, probe_uuid
    )
    log(f"  [{target.database}] limit JSON == API JSON: {checks}")

    workloads: list[tuple[str, Role, dict[str, Fn], int, str | None]] = [
        ("W1", sales, {
            "api": target.op(api, sales, config.W1),
            "twin": target.op(twin, sales, config.W1),
            "limit": lambda: limit.contacts_page(p_sales, 1000),
        }, rounds.w1, None),
        ("W2", read_only, {
            "api": target.op(api, read_only, config.W1),
            "twin": target.op(twin, read_only, config.W1),
            "limit": lambda: limit.contacts_page(p_ro, 1000),
        }, rounds.w2, None),
        ("W3", sales, {
            "api": target.op(api, sales, config.W3),
            "twin": target.op(twin, sales, config.W3),
            "limit": limit.n_plus_one,
        }, rounds.w3, None),
        ("W4", sales, {
            "api": target.op(api, sales, config.W4, lambda: w4_vars),
            "twin": target.op(twin, sales, config.W4, lambda: w4_vars),
            "limit": lambda: limit.contact_by_id(p_sales, probe_uuid),
        }, rounds.w4, None),
        ("W5", sales, {
            "api": target.op(api, sales, config.W5, _fresh_contact),
            "twin": target.op(twin, sales, config.W5, _fresh_contact),
        }, rounds.w5, "no hand-written write path: limit_ratio not measured for W5"),
    ]  # fmt: skip
    for name, role, variants, n, note in workloads:
        started = time.perf_counter()
        times = await interleaved(variants, n, rounds.warmup)
        sql, kinds = await counter_api.count(variants["api"])
        twin_sql, _ = await counter_api.count(variants["twin"])
        limit_sql = None
        if "limit" in variants:
            limit_sql, _ = await counter_limit.count(variants["limit"])
        body = await variants["api"]()
        ours = summary(times["api"])
        twin_s = summary(times["twin"])
        limit_s = summary(times["limit"]) if "limit" in times else None
        record = {
            "workload": name,
            "database": target.database,
            "variant": "inproc",
            "role": role.value,
            "concurrency": None,
            **ours,
            "twin_ratio": _ratio(ours["median_ms"], twin_s["median_ms"]),
            "limit_ratio": _ratio(ours["median_ms"], limit_s["median_ms"]) if limit_s else None,
            "sql_statements": sql,
            "sql_breakdown": kinds,
            "rps": None,
            "peak_rss_mb": None,
            "rounds": n,
            "twin_median_ms": twin_s["median_ms"],
            "twin_p99_ms": twin_s["p99_ms"],
            "limit_median_ms": limit_s["median_ms"] if limit_s else None,
            "limit_p99_ms": limit_s["p99_ms"] if limit_s else None,
            "twin_sql_statements": twin_sql,
            "limit_sql_statements": limit_sql,
            "response_bytes": len(body),
            "limit_json_equal": checks.get(name),
            "note": note,
        }
        if name == "W4":
            record["contact_id"] = probe["id"]
        if name == "W2":
            record["note"] = (
                "limit applies the same nulls (privacy.decision over the same subject states)"
            )
        records.append(record)
        log(
            f"  [{target.database}] {name}: api {ours['median_ms']:.2f} ms, twin "
            f"{twin_s['median_ms']:.2f} ms"
            + (f", limit {limit_s['median_ms']:.2f} ms" if limit_s else "")
            + f", {sql} statements ({time.perf_counter() - started:.1f} s)"
        )
    return records
