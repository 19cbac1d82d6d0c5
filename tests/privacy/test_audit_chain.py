"""The tamper-evident audit log (privacy/audit_chain.py): every entry is chained to the
previous one of its tenant with a keyed hash; a changed, removed or smuggled entry is
reported as the first broken link, by `auditChain` and by `ledgerline audit verify`.

Every test runs on SQLite and on the real PostgreSQL. The application cannot change its
audit (0009), so the tampering is done as the database's owner: raw SQL on the SQLite
file with the append-only triggers dropped, or the PostgreSQL owner connection.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlmodel import col

from auth.permissions import Role
from core.services import Services
from core.settings import Settings
from models import AuditEvent, AuditSubject
from privacy.audit import AuditSink
from tests.support.world import Runner, TenantWorld, make_tenant

CREATE = "mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } } }"
READ = "{ contacts(first: 10) { nodes { id email } } }"
CHAIN = "{ auditChain { verified entries firstBrokenEntry reason } }"
ERASE = 'mutation($c: ID!) { eraseContact(contact: $c, reason: "asked") { contact { id } } }'

OwnerSql = Callable[[str], None]


@pytest.fixture
def app(store: Services) -> Services:
    return store


@pytest.fixture
def owner_sql(backend: Settings, request: pytest.FixtureRequest) -> OwnerSql:
    """Raw SQL as the database's owner: past the append-only triggers on SQLite, past the
    application role's grants on PostgreSQL."""
    if not backend.is_postgres:
        path = make_url(backend.database_url).database
        assert path is not None

        def sqlite_owner(statement: str) -> None:
            with sqlite3.connect(path) as conn:
                for trigger in ("audit_event_no_update", "audit_event_no_delete",
                                "audit_subject_no_update", "audit_subject_no_delete"):  # fmt: skip
                    conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
                conn.execute(statement)

        return sqlite_owner
    database, _ = request.getfixturevalue("pg_backend_database")
    return lambda statement: database.owner().execute(statement)  # type: ignore[arg-type]


@pytest.fixture
async def world(app: Services) -> TenantWorld:
    return await make_tenant(app, f"Chain {uuid.uuid4().hex[:6]}")


@pytest.fixture
def run(app: Services) -> Runner:
    return Runner(app)


async def audited(run: Runner, world: TenantWorld, n: int) -> list[str]:
    """`n` contacts created (one audit entry each); their global ids."""
    ids = []
    for i in range(n):
        result = await run(world.principal(Role.OWNER), CREATE, {"i": {"email": f"p{i}@x.io"}})
        assert result.errors is None, result.errors
        ids.append(result.data["createContact"]["contact"]["id"])
    return ids


async def chain(run: Runner, world: TenantWorld) -> dict[str, Any]:
    result = await run(world.principal(Role.ADMIN), CHAIN)
    assert result.errors is None, result.errors
    return dict(result.data["auditChain"])


async def events(app: Services, world: TenantWorld) -> list[AuditEvent]:
    async with app.db.session(world.tenant_id) as session:
        found = await session.execute(
            select(AuditEvent)
            .where(col(AuditEvent.chain_seq).is_not(None))
            .order_by(col(AuditEvent.chain_seq))
        )
        return list(found.scalars())


async def nth_of(app: Services, run: Runner, world: TenantWorld, n: int, index: int) -> str:
    """Write `n` entries; the hex id of the one at `index` (for raw SQL)."""
    await audited(run, world, n)
    return (await events(app, world))[index].id.hex


async def test_each_entry_takes_the_next_position_of_its_tenants_chain(
    app: Services, run: Runner, world: TenantWorld
) -> None:
    await audited(run, world, 3)
    written = await events(app, world)
    assert [e.chain_seq for e in written] == [1, 2, 3]
    assert len({e.chain_hash for e in written}) == 3


async def test_an_untouched_chain_verifies(run: Runner, world: TenantWorld) -> None:
    await audited(run, world, 3)
    assert await chain(run, world) == {
        "verified": True, "entries": 3, "firstBrokenEntry": None, "reason": None,
    }  # fmt: skip


async def test_a_changed_entry_is_the_first_broken_link(
    app: Services, run: Runner, world: TenantWorld, owner_sql: OwnerSql
) -> None:
    second = await nth_of(app, run, world, 4, 1)
    owner_sql(f"UPDATE audit_event SET detail = 'forged' WHERE id = '{second}'")
    assert await chain(run, world) == {
        "verified": False, "entries": 1, "firstBrokenEntry": 2,
        "reason": "the entry or its subjects were altered",
    }  # fmt: skip


async def test_a_removed_entry_breaks_the_chain_at_its_position(
    app: Services, run: Runner, world: TenantWorld, owner_sql: OwnerSql
) -> None:
    third = await nth_of(app, run, world, 4, 2)
    owner_sql(f"DELETE FROM audit_event WHERE id = '{third}'")
    report = await chain(run, world)
    assert (report["verified"], report["firstBrokenEntry"]) == (False, 3)
    assert report["reason"] == "an entry is missing"


async def test_removing_the_last_entries_is_seen_against_the_chain_head(
    app: Services, run: Runner, world: TenantWorld, owner_sql: OwnerSql
) -> None:
    last = await nth_of(app, run, world, 3, -1)
    owner_sql(f"DELETE FROM audit_event WHERE id = '{last}'")
    report = await chain(run, world)
    assert (report["verified"], report["entries"], report["firstBrokenEntry"]) == (False, 2, 3)


async def test_a_changed_subject_row_breaks_its_entry(
    app: Services, run: Runner, world: TenantWorld, owner_sql: OwnerSql
) -> None:
    await audited(run, world, 2)
    assert (await run(world.principal(Role.SALES), READ)).errors is None
    read = (await events(app, world))[-1]
    assert read.action == "pii_read"
    owner_sql(f"UPDATE audit_subject SET categories_shown = '' WHERE event_id = '{read.id.hex}'")
    report = await chain(run, world)
    assert (report["verified"], report["firstBrokenEntry"]) == (False, read.chain_seq)


async def test_an_entry_smuggled_in_outside_the_chain_is_reported(
    app: Services, run: Runner, world: TenantWorld, owner_sql: OwnerSql
) -> None:
    await audited(run, world, 1)
    async with app.db.session(world.tenant_id) as session:
        session.add(AuditEvent(tenant_id=world.tenant_id, actor_type="user", action="forged"))
        await session.commit()
    report = await chain(run, world)
    assert report["verified"] is False
    assert report["reason"] == "an entry was written outside the chain"


async def test_the_write_behind_read_audit_is_chained_per_flush_batch(
    app: Services, run: Runner, world: TenantWorld
) -> None:
    await audited(run, world, 2)
    sink = app.extras["audit_sink"] = AuditSink(app.db, app.settings.audit_key, interval=3600)
    sink.start()
    try:
        for _ in range(3):
            assert (await run(world.principal(Role.SALES), READ)).errors is None
        await sink.drain()
    finally:
        await sink.stop()
        app.extras.pop("audit_sink")
    assert [e.action for e in await events(app, world)][-3:] == ["pii_read"] * 3
    report = await chain(run, world)
    assert (report["verified"], report["entries"]) == (True, 5)


async def test_concurrent_writers_of_one_tenant_leave_no_gap(
    app: Services, run: Runner, world: TenantWorld
) -> None:
    owner = world.principal(Role.OWNER)
    results = await asyncio.gather(
        *(run(owner, CREATE, {"i": {"email": f"c{i}@x.io"}}) for i in range(6))
    )
    assert all(r.errors is None for r in results)
    assert [e.chain_seq for e in await events(app, world)] == [1, 2, 3, 4, 5, 6]
    assert (await chain(run, world))["verified"] is True


async def test_erasure_keeps_the_chain_verifiable_and_entries_hold_ids_only(
    app: Services, run: Runner, world: TenantWorld
) -> None:
    (contact,) = await audited(run, world, 1)
    assert (await run(world.principal(Role.SALES), READ)).errors is None
    result = await run(world.principal(Role.OWNER), ERASE, {"c": contact})
    assert result.errors is None, result.errors
    assert (await chain(run, world))["verified"] is True
    async with app.db.session(world.tenant_id) as session:
        texts = [
            str(value)
            for row in (await session.execute(select(AuditEvent))).scalars()
            for value in (row.detail, row.operation_name, row.purposes)
        ] + [
            row.categories_shown for row in (await session.execute(select(AuditSubject))).scalars()
        ]
    assert not [t for t in texts if "p0@x.io" in t or "asked" in t]


async def test_the_chain_needs_audit_read(run: Runner, world: TenantWorld) -> None:
    result = await run(world.principal(Role.SALES), CHAIN)
    assert result.data is None
    assert result.errors[0].extensions["code"] == "FORBIDDEN"


async def test_the_cli_reports_the_broken_tenant_and_exits_non_zero(
    app: Services,
    run: Runner,
    world: TenantWorld,
    owner_sql: OwnerSql,
    backend: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from server.cli import app as cli

    first = await nth_of(app, run, world, 2, 0)
    owner_sql(f"UPDATE audit_event SET action = 'forged' WHERE id = '{first}'")
    monkeypatch.setenv("DATABASE_URL", backend.database_url)
    async with app.db.session(None) as session:
        from models import Tenant

        slug = (await session.get(Tenant, world.tenant_id)).slug  # type: ignore[union-attr]
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["audit", "verify", "--tenant", slug])
    assert result.exit_code == 1, result.output
    assert f"BROKEN {slug}: the entry or its subjects were altered at entry 1" in result.output
