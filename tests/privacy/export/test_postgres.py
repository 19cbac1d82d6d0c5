"""privacy_export on PostgreSQL under the application's role: the build, its progress
writes and the purge work through row-level security, and the wall keeps another
tenant's exports out of sight and out of reach."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest

from auth.accounts import bootstrap
from auth.permissions import Role
from core.services import Services
from core.settings import Settings
from models import PrivacyExport
from privacy.export.storage import purge_expired_exports
from resolvers.global_ids import decode_id
from tests.privacy.export.conftest import built_export, plant
from tests.support.postgres import PostgresDatabase
from tests.support.world import Runner, make_tenant

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pg_services(settings: Settings, pg_database: PostgresDatabase) -> AsyncIterator[Services]:
    services = Services.from_settings(
        settings.model_copy(update={"database_url": pg_database.owner_url, "app_database_url": ""})
    )
    await bootstrap(services)
    yield services
    await services.close()


async def scoped_count(conn: asyncpg.Connection, tenant: uuid.UUID) -> int:
    async with conn.transaction():
        await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant))
        return int(await conn.fetchval("SELECT count(*) FROM privacy_export"))


async def test_exports_and_self_exports_work_under_rls_and_stay_behind_the_tenant_wall(
    pg_services: Services, pg_database: PostgresDatabase
) -> None:
    """One database for the whole story (creating one costs seconds): a contact's
    export, the wall around it, its purge, and an account holder's self-export."""
    a = await make_tenant(pg_services, "Acme PG")
    b = await make_tenant(pg_services, "Globex PG")
    planted = await plant(pg_services, a)
    export = await built_export(pg_services, Runner(pg_services), a, planted.request_gid)
    assert export["status"] == "DONE"

    conn = await asyncpg.connect(pg_database.app_dsn)
    try:
        assert await scoped_count(conn, a.tenant_id) == 1
        assert await scoped_count(conn, b.tenant_id) == 0
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with conn.transaction():
                await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(b.tenant_id))
                await conn.execute(
                    "INSERT INTO privacy_export (id, tenant_id, created_at, updated_at, "
                    "contact_id, status, progress) VALUES ($1, $2, now(), now(), $3, 'queued', 0)",
                    uuid.uuid4(), a.tenant_id, planted.person,
                )  # fmt: skip
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("DELETE FROM privacy_export")
    finally:
        await conn.close()

    async with pg_services.db.session(a.tenant_id) as session:
        row = await session.get(PrivacyExport, decode_id(export["id"])[1])
        assert row is not None and row.expires_at is not None
        later = row.expires_at + timedelta(seconds=1)
        assert await purge_expired_exports(session, now=later, dry_run=False) == 1
        await session.commit()

    me = b.principal(Role.SUPPORT)
    runner = Runner(pg_services)
    started = await runner(me, "mutation { exportMyData { id } }")
    assert started.errors is None, started.errors
    await pg_services.background.wait()
    status = await runner(
        me, "query($id: ID!) { myDataExport(id: $id) { status } }",
        {"id": started.data["exportMyData"]["id"]},
    )  # fmt: skip
    assert status.data["myDataExport"]["status"] == "DONE"
