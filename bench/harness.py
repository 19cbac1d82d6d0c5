"""The in-process harness: the API, its no-policy twin and the limit, side by side.

Every request goes through `server.execution.execute_operation` (the path the HTTP
view uses) with a real Principal of tenant 1 and is serialized with orjson the way the
view sends it. The variants take turns request by request within rounds long enough
for several garbage collections (`interleaved`), so noise on this shared machine hits
them alike; a ratio is the median of the per-round ratios of CPU time (bench.stats,
bench.cpu), with its spread and a `stable` flag. See bench/README.md.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import orjson
from sqlalchemy import event

from auth.permissions import Role
from auth.principal import Principal
from bench import config
from bench.cpu import CpuMeter
from bench.limit import Limit
from bench.roundtrips import RoundTrips, counting
from bench.seeding import Manifest
from bench.stats import SPREAD_BOUND, ratio_fields

Fn = Callable[[], Awaitable[bytes]]


@dataclass
class Rounds:
    """How long each workload is measured: interleaved rounds after a warm-up.

    In a round the variants take turns request by request until the slowest has run
    for about `round_s` CPU seconds (long enough for several collections of the garbage
    collector); `rounds` rounds give the per-round ratios (bench.stats).
    """

    rounds: int = 12
    round_s: float = 0.3
    small_round_s: float = 0.15  # W4, W5: small requests, a hundred of them per round
    warmup_s: float = 1.0
    warmup_calls: int = 2
    min_per_round: int = 2  # requests of each variant per round, at least
    max_batch: int = 2000
    bound: float = SPREAD_BOUND

    @classmethod
    def quick(cls) -> Rounds:
        return cls(rounds=3, round_s=0.0, small_round_s=0.0, warmup_s=0.0, warmup_calls=1,
                   min_per_round=1)  # fmt: skip

    def for_workload(self, name: str) -> Rounds:
        small = name in ("W4", "W5")
        return replace(self, round_s=self.small_round_s) if small else self


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


class GcCounter:
    """Collections by the variant running when they ran: counts per generation, and
    the CPU and wall time of the full (generation 2) collections."""

    FIELDS = 6  # gen0, gen1, gen2 counts; all GC CPU s; full-collection CPU s, wall s

    def __init__(self, names: list[str]) -> None:
        self.current = names[0]
        self.by = {n: [0.0] * self.FIELDS for n in names}
        self._cpu = self._wall = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._cpu, self._wall = time.process_time(), time.perf_counter()
            return
        cpu, wall = time.process_time() - self._cpu, time.perf_counter() - self._wall
        counts = self.by[self.current]
        counts[info["generation"]] += 1
        counts[3] += cpu
        if info["generation"] == 2:
            counts[4] += cpu
            counts[5] += wall

    def take(self) -> dict[str, list[float]]:
        """The figures since the last `take`, per variant."""
        taken, self.by = self.by, {n: [0.0] * self.FIELDS for n in self.by}
        return taken

    def __enter__(self) -> GcCounter:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *_exc: object) -> None:
        gc.callbacks.remove(self)


def share_full_collections(
    spent: dict[str, list[float]],
    gc_rounds: dict[str, list[list[float]]],
    field: int,
) -> dict[str, list[float]]:
    """Spreads the full collections over the variants and rounds by the collections
    each variant's allocations triggered.

    A full collection walks the whole heap (the application's modules, schema and
    engine: tens of milliseconds of CPU here) inside whichever request happens to cross
    the threshold at the end of a chain of young collections (every 10th gen-1
    collection checks gen 2) that all the variants' allocations fed. Left where it
    falls, one or two of them per round swing a round's ratio by a third. Here their
    total over the workload is kept in full but charged at one rate per triggering
    collection (of any generation): a variant pays for the share it caused.

    `spent` is seconds per variant and round including the collections; `field` 4 is
    CPU, 5 is wall (GcCounter). Returns the same shape, the collections re-charged.
    """
    names = list(spent)
    total_full = sum(g[field] for n in names for g in gc_rounds[n])
    triggers = {n: [g[0] + g[1] + g[2] for g in gc_rounds[n]] for n in names}
    all_triggers = sum(sum(t) for t in triggers.values())
    rate = total_full / all_triggers if all_triggers else 0.0
    return {
        n: [s - g[field] + rate * t
            for s, g, t in zip(spent[n], gc_rounds[n], triggers[n], strict=True)]
        for n in names
    }  # fmt: skip


@dataclass
class Measured:
    """One workload's interleaved rounds: every request and every round, per variant."""

    times: dict[str, list[float]]  # wall ms per request, every measured request
    round_costs: dict[str, list[float]]  # CPU ms per request, one mean per round
    round_walls: dict[str, list[float]]  # wall ms per request, one mean per round
    unshared_costs: dict[str, list[float]]  # the same, full collections where they fell
    per_round: int  # requests of each variant in a round
    gc_rounds: dict[str, list[list[float]]]  # per round: GcCounter.FIELDS
    after_ms: float  # untimed work after the rounds (audit drain), ms in all
    warmup_ms: dict[str, float]  # median warm-up cost per request (CPU ms)
    server_share: dict[str, float]  # the database server's share of the CPU time


async def warm_up(
    variants: dict[str, Fn], seconds: float, calls: int, meter: Any
) -> dict[str, float]:
    """Runs the variants round-robin for `seconds` (at least `calls` each).

    Returns each variant's median cost per request (CPU ms), which sizes the rounds.
    """
    costs: dict[str, list[float]] = {n: [] for n in variants}
    meter.refresh()
    started = time.perf_counter()
    while min(len(c) for c in costs.values()) < calls or time.perf_counter() - started < seconds:
        for name, fn in variants.items():
            before = meter.read()
            await fn()
            costs[name].append(meter.cost_s(before, meter.read_end()) * 1000.0)
        meter.refresh()
    return {n: statistics.median(c) for n, c in costs.items()}


def batch_size(request_ms: float, round_s: float, max_batch: int) -> int:
    """Requests costing about `round_s` seconds in all (at least one)."""
    if round_s <= 0:
        return 1
    if request_ms <= 0:
        return max_batch
    return max(1, min(max_batch, math.ceil(round_s * 1000.0 / request_ms)))


async def interleaved(
    variants: dict[str, Fn],
    rounds: Rounds,
    after: Callable[[], Awaitable[None]] | None = None,
    meter: Any = None,
) -> Measured:
    """Warm-up, then `rounds.rounds` rounds; in each, the variants take turns request by
    request (A B C, B C A, C A B, ...) until the slowest has run for about `round_s`
    CPU seconds: noise slower than a request hits every variant alike, and a round is
    long enough for several garbage collections. A round's figure per variant is the
    mean over its requests in that round (bench.stats takes the ratios round by round).

    `after` runs after each round, untimed (the audit sink's drain: the API's write-
    behind audit must land in no variant's time). `meter` (bench.cpu.CpuMeter) reads
    the CPU time of this process and of the database server around each request.
    """
    meter = meter or CpuMeter()
    names = list(variants)
    warm = await warm_up(variants, rounds.warmup_s, rounds.warmup_calls, meter)
    if after is not None:
        await after()
    per_round = max(
        rounds.min_per_round, batch_size(max(warm.values()), rounds.round_s, rounds.max_batch)
    )
    times: dict[str, list[float]] = {n: [] for n in names}
    cost_s: dict[str, list[float]] = {n: [] for n in names}  # seconds per round
    wall_s: dict[str, list[float]] = {n: [] for n in names}
    server_s = dict.fromkeys(names, 0.0)  # the database server's part of cost_s, in all
    gc_rounds: dict[str, list[list[float]]] = {n: [] for n in names}
    after_ms = 0.0
    clock = time.perf_counter
    with GcCounter(names) as counter:
        turn = 0
        for _ in range(rounds.rounds):
            meter.refresh()
            counter.take()
            cost = dict.fromkeys(names, 0.0)
            wall = dict.fromkeys(names, 0.0)
            server = dict.fromkeys(names, 0.0)
            for _ in range(per_round):
                shift = turn % len(names)
                turn += 1
                for name in names[shift:] + names[:shift]:
                    fn = variants[name]
                    counter.current = name
                    before = meter.read()
                    started = clock()
                    await fn()
                    ended = clock()
                    reading = meter.read_end()
                    cost[name] += meter.cost_s(before, reading)
                    server[name] += meter.server_s(before, reading)
                    wall[name] += ended - started
                    times[name].append((ended - started) * 1000.0)
            for name, figures in counter.take().items():
                gc_rounds[name].append(figures)
            for name in names:
                server_s[name] += server[name]
                cost_s[name].append(cost[name])
                wall_s[name].append(wall[name])
            if after is not None:
                started = clock()
                await after()
                after_ms += (clock() - started) * 1000.0
    per_ms = 1000.0 / per_round
    shared_cost = share_full_collections(cost_s, gc_rounds, 4)
    shared_wall = share_full_collections(wall_s, gc_rounds, 5)
    costs = {n: [x * per_ms for x in v] for n, v in shared_cost.items()}
    walls = {n: [x * per_ms for x in v] for n, v in shared_wall.items()}
    unshared = {n: [x * per_ms for x in v] for n, v in cost_s.items()}
    server_share = {n: server_s[n] / sum(cost_s[n]) if sum(cost_s[n]) else 0.0 for n in names}
    return Measured(times, costs, walls, unshared, per_round, gc_rounds, after_ms, warm,
                    server_share)  # fmt: skip


def gc_summary(rounds: list[list[float]]) -> dict[str, float]:
    """Collections per round (medians) and in all, and the full collections' CPU time."""
    return {
        "gen0": statistics.median(b[0] for b in rounds),
        "gen1": statistics.median(b[1] for b in rounds),
        "gen2": statistics.median(b[2] for b in rounds),
        "gen2_total": sum(b[2] for b in rounds),
        "gc_cpu_ms_per_round": statistics.median(b[3] for b in rounds) * 1000.0,
        "gen2_cpu_ms_total": sum(b[4] for b in rounds) * 1000.0,
    }


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
    bearers: dict[Role, Any] = field(default_factory=dict)
    """Verified bearer claims per role (a real signed-in session each): the credential
    the HTTP view hands to the operation, for counting the served path's round trips."""

    @classmethod
    async def open(cls, database: str, manifest: Manifest, limit_url: str) -> Target:
        from bench.twin import build_twin_schema
        from core.services import Services
        from core.settings import load_settings
        from models.db import make_engine
        from privacy.audit import AuditSink
        from schema.build import build_schema
        from schema.extensions import schema_extensions

        settings = load_settings()
        services = Services.from_settings(settings)
        # As in the served app (server/app.py): read audit goes to the write-behind sink,
        # which here never flushes on its own: the harness drains it between blocks,
        # untimed, so the API's audit writes never land in another variant's block.
        sink = services.extras["audit_sink"] = AuditSink(
            services.db, services.settings.audit_key, interval=86400.0
        )
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
        bearers = {role: await _bearer(services, p) for role, p in principals.items()}
        return cls(database, services, schema, twin, {r: limit for r in principals},
                   manifest, principals, bearers)  # fmt: skip

    @property
    def pg_database(self) -> str | None:
        """The PostgreSQL database the API and the limit use (None on SQLite)."""
        if self.database != "postgresql":
            return None
        return self.services.db.engine.url.database

    async def drain_audit(self) -> None:
        await self.services.extras["audit_sink"].drain()

    async def close(self) -> None:
        await next(iter(self.limits.values())).engine.dispose()
        await self.services.extras["audit_sink"].stop()
        await self.services.close()

    async def execute(self, schema: Any, role: Role, query: str, variables: Any = None) -> Any:
        from core.context import RequestContext
        from server.execution import execute_operation

        ctx = RequestContext(services=self.services, principal=self.principals[role])
        result = await execute_operation(schema, ctx, query, variables)
        if result.errors:
            raise RuntimeError(f"{self.database} {role.value}: {result.errors}")
        return result

    def bearer_op(
        self, schema: Any, role: Role, query: str, variables: Callable[[], Any] | None = None
    ) -> Fn:
        """The request as served: a verified bearer token, the principal resolved inside
        the operation's transaction (server/view.py, server/execution.py)."""
        from core.context import RequestContext
        from server.execution import execute_operation

        async def run() -> bytes:
            ctx = RequestContext(
                services=self.services, principal=None, credential=self.bearers[role]
            )
            result = await execute_operation(schema, ctx, query, variables() if variables else None)
            if result.errors:
                raise RuntimeError(f"{self.database} {role.value}: {result.errors}")
            return response_bytes(result)

        return run

    async def round_trips(self, fn: Fn) -> tuple[RoundTrips, RoundTrips]:
        """The round trips of one warm request (`fn` runs once before, untimed) and of
        the write-behind flush of its audit and usage rows."""
        await fn()
        await self.drain_audit()
        with counting(self.services.db.engine) as request:
            await fn()
        with counting(self.services.db.engine) as flush:
            await self.drain_audit()
        return request, flush

    def op(
        self, schema: Any, role: Role, query: str, variables: Callable[[], Any] | None = None
    ) -> Fn:
        async def run() -> bytes:
            result = await self.execute(schema, role, query, variables() if variables else None)
            return response_bytes(result)

        return run


async def sign_in(services: Any, principal: Principal) -> str:
    """An access token of a real signed-in session (a refresh-token family) of
    `principal`'s user and tenant, with its role."""
    from auth.sessions import issue_access_token, open_session

    issued = await open_session(services, principal.user_id, principal.tenant_id, "refresh")
    return issue_access_token(services, replace(principal, session_id=issued.session_id))


async def _bearer(services: Any, principal: Principal) -> Any:
    """The verified claims of a signed-in session's access token (`sign_in`)."""
    from auth.sessions import verify_bearer

    return verify_bearer(services, await sign_in(services, principal))


def _fresh_contact() -> dict[str, Any]:
    tag = uuid.uuid4().hex[:12]
    return {"input": {"firstName": "Bench", "lastName": f"Writer {tag}",
                      "email": f"bench.{tag}@example.com", "source": "bench"}}  # fmt: skip


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
    meter = CpuMeter(target.pg_database)

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

    workloads: list[tuple[str, Role, dict[str, Fn], str | None]] = [
        ("W1", sales, {
            "api": target.op(api, sales, config.W1),
            "twin": target.op(twin, sales, config.W1),
            "limit": lambda: limit.contacts_page(p_sales, 1000),
        }, None),
        ("W2", read_only, {
            "api": target.op(api, read_only, config.W1),
            "twin": target.op(twin, read_only, config.W1),
            "limit": lambda: limit.contacts_page(p_ro, 1000),
        }, None),
        ("W3", sales, {
            "api": target.op(api, sales, config.W3),
            "twin": target.op(twin, sales, config.W3),
            "limit": limit.n_plus_one,
        }, None),
        ("W4", sales, {
            "api": target.op(api, sales, config.W4, lambda: w4_vars),
            "twin": target.op(twin, sales, config.W4, lambda: w4_vars),
            "limit": lambda: limit.contact_by_id(p_sales, probe_uuid),
        }, None),
        ("W5", sales, {
            "api": target.op(api, sales, config.W5, _fresh_contact),
            "twin": target.op(twin, sales, config.W5, _fresh_contact),
        }, "no hand-written write path: limit_ratio not measured for W5"),
    ]  # fmt: skip
    served = {
        "W1": target.bearer_op(api, sales, config.W1),
        "W2": target.bearer_op(api, read_only, config.W1),
        "W3": target.bearer_op(api, sales, config.W3),
        "W4": target.bearer_op(api, sales, config.W4, lambda: w4_vars),
        "W5": target.bearer_op(api, sales, config.W5, _fresh_contact),
    }
    for name, role, variants, note in workloads:
        started = time.perf_counter()
        plan = rounds.for_workload(name)
        m = await interleaved(variants, plan, after=target.drain_audit, meter=meter)
        sql, kinds = await counter_api.count(variants["api"])
        trips, flush = await target.round_trips(served[name])
        twin_sql, _ = await counter_api.count(variants["twin"])
        limit_sql = None
        if "limit" in variants:
            limit_sql, _ = await counter_limit.count(variants["limit"])
        body = await variants["api"]()
        await target.drain_audit()
        ours = summary(m.times["api"])
        twin_s = summary(m.times["twin"])
        limit_s = summary(m.times["limit"]) if "limit" in m.times else None
        baselines = {k: m.round_costs[k] for k in ("twin", "limit") if k in m.round_costs}
        ratios = ratio_fields(m.round_costs["api"], baselines, rounds.bound)
        wall_baselines = {k: m.round_walls[k] for k in ("twin", "limit") if k in m.round_walls}
        wall = ratio_fields(m.round_walls["api"], wall_baselines, rounds.bound)
        unshared_baselines = {
            k: m.unshared_costs[k] for k in ("twin", "limit") if k in m.unshared_costs
        }
        unshared = ratio_fields(m.unshared_costs["api"], unshared_baselines, rounds.bound)
        api_requests = len(m.times["api"])
        record = {
            "workload": name,
            "database": target.database,
            "variant": "inproc",
            "role": role.value,
            "concurrency": None,
            **ours,
            **ratios,
            "sql_statements": sql,
            "sql_breakdown": kinds,
            "round_trips": trips.total,
            "python_calls": trips.calls,
            "round_trip_breakdown": trips.as_dict(),
            "audit_flush_round_trips": flush.as_dict(),
            "rps": None,
            "peak_rss_mb": None,
            "rounds": rounds.rounds,
            "round_s": plan.round_s,
            "requests_per_round": m.per_round,
            "requests": {k: len(v) for k, v in m.times.items()},
            "ratio_of": "CPU time per request (this process + PostgreSQL's server processes)",
            "cpu_ms": statistics.median(m.round_costs["api"]),
            "twin_cpu_ms": statistics.median(m.round_costs["twin"]),
            "limit_cpu_ms": (
                statistics.median(m.round_costs["limit"]) if "limit" in m.round_costs else None
            ),
            "wall_twin_ratio": wall["twin_ratio"],
            "wall_twin_spread": wall["twin_spread"],
            "wall_limit_ratio": wall["limit_ratio"],
            "wall_limit_spread": wall["limit_spread"],
            "unshared_twin_ratio": unshared["twin_ratio"],
            "unshared_twin_spread": unshared["twin_spread"],
            "unshared_limit_ratio": unshared["limit_ratio"],
            "unshared_limit_spread": unshared["limit_spread"],
            "server_cpu_share": m.server_share,
            "round_cpu_ms": m.round_costs,
            "round_wall_ms": m.round_walls,
            "gc_per_round": {k: gc_summary(v) for k, v in m.gc_rounds.items()},
            "audit_drain_ms_per_request": m.after_ms / api_requests,
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
        gc_all = [sum(x) for x in zip(*(record["gc_per_round"][k].values()
                                          for k in m.gc_rounds), strict=True)]  # fmt: skip
        gc_api = record["gc_per_round"]["api"]
        log(
            f"  [{target.database}] {name}: api {ours['median_ms']:.2f} ms, twin "
            f"{twin_s['median_ms']:.2f} ms"
            + (f", limit {limit_s['median_ms']:.2f} ms" if limit_s else "")
            + f"; cpu x twin {_ratio_text(ratios['twin_spread'])}"
            + (f", x limit {_ratio_text(ratios['limit_spread'])}" if limit_s else "")
            + f" (wall x twin {_ratio_text(wall['twin_spread'])}, unshared x twin"
            f" {_ratio_text(unshared['twin_spread'])})"
            + f"; {rounds.rounds} rounds of {m.per_round} requests each"
            f" (gc per round: gen0 {gc_all[0]:.0f}, gen1 {gc_all[1]:.0f},"
            f" gen2 {gc_all[2]:.0f} median, {gc_all[3]:.0f} in all; api's full collections"
            f" {gc_api['gen2_cpu_ms_total']:.0f} ms)"
            + ("" if ratios["stable"] else f" UNSTABLE: {'; '.join(ratios['unstable_reasons'])}")
            + f", {sql} statements, {trips.total} round trips {trips.as_dict()}"
            f" (audit flush {flush.total}; {time.perf_counter() - started:.1f} s)"
        )
    return records


def _ratio_text(stats: dict[str, float] | None) -> str:
    if stats is None:
        return "-"
    return f"{stats['median']:.2f} (IQR {stats['q1']:.2f}-{stats['q3']:.2f})"
