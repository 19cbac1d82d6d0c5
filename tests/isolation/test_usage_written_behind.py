"""Usage records (policy section 2.3) are written behind the request, in batches with
the read audit (issue 13): stopping the sink (the server's shutdown) writes every
record submitted, on both backends, and on PostgreSQL a batch is one insert of column
arrays. (That no statement of the request writes them is pinned with the request's
round trips, test_request_round_trips.py.)"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, func, select

from auth.permissions import Role
from core.services import Services
from models import UsageEvent
from privacy.audit import AuditSink
from tests.support.world import Runner, TenantWorld

NO_PERSONAL_DATA = "{ __typename }"


async def usage_rows(services: Services, world: TenantWorld) -> int:
    async with services.db.session(world.tenant_id) as session:
        return int((await session.execute(select(func.count(UsageEvent.id)))).scalar_one())


async def requests(services: Services, world: TenantWorld, n: int) -> None:
    runner = Runner(services)
    for _ in range(n):
        result = await runner(world.principal(Role.SALES), NO_PERSONAL_DATA)
        assert result.errors is None, result.errors


async def test_stopping_the_sink_writes_every_usage_record_submitted(
    services: Services, tenant_a: TenantWorld, sink: AuditSink
) -> None:
    before = await usage_rows(services, tenant_a)
    await requests(services, tenant_a, 5)
    assert await usage_rows(services, tenant_a) == before  # behind the requests
    await sink.stop()
    assert await usage_rows(services, tenant_a) == before + 5


async def test_on_postgresql_a_batch_of_usage_records_is_one_execution(
    backend: str, services: Services, tenant_a: TenantWorld, sink: AuditSink
) -> None:
    """One set-based insert of column arrays, not the insert run once per record (as
    an executemany does, however the driver pipelines it)."""
    if backend != "postgresql":
        pytest.skip("SQLite inserts the batch as an executemany, in-process")
    executions: list[tuple[str, bool]] = []

    def record(_c: Any, _cur: Any, statement: str, _p: Any, _ctx: Any, many: bool) -> None:
        executions.append((statement, many))

    await requests(services, tenant_a, 5)
    engine = services.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        await sink.drain()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    inserts = [(s, many) for s, many in executions if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1 and "unnest(" in inserts[0][0] and not inserts[0][1], executions
