"""Partner apps on PostgreSQL under the application's role and row-level security
(issue 12): the token endpoint finds a code and a refresh token by their hash before it
knows the tenant (0017's policies), client credentials enter the installing tenant,
and uninstalling stops the tokens. The flows are the SQLite tests'; only the database
differs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from auth.permissions import Role
from core.settings import Settings
from server.app import create_app
from server.seed import seed_demo
from tests.oauth.conftest import (
    TOKEN_URL,
    Partner,
    authorized_client,
    gql,
    install,
)
from tests.security.conftest import SMALL
from tests.support.postgres import PostgresDatabase

pytestmark = pytest.mark.postgres

CONTACTS = "{ contacts(first: 2) { nodes { id email } } }"


@pytest.fixture
async def pg_partner(
    partner_settings: Settings, pg_database: PostgresDatabase
) -> AsyncIterator[Partner]:
    settings = partner_settings.model_copy(
        update={"database_url": pg_database.owner_url, "app_database_url": ""}
    )
    app = create_app(settings, migrate=False)
    async with app.router.lifespan_context(app):
        seeded = await seed_demo(app.state.services, SMALL)
        yield Partner(app, {t.slug: t for t in seeded})


async def test_code_refresh_and_uninstall_under_row_level_security(pg_partner: Partner):
    client = await authorized_client(pg_partner, await pg_partner.register(), Role.SALES)
    assert "errors" not in (await gql(client, CONTACTS)).json()
    refreshed = await client.post(
        TOKEN_URL,
        data={"grant_type": "refresh_token", "refresh_token": client.token["refresh_token"]},
        auth=(client.client_id, client.client_secret),
    )
    assert refreshed.status_code == 200, refreshed.text
    reused = await client.post(
        TOKEN_URL,
        data={"grant_type": "refresh_token", "refresh_token": client.token["refresh_token"]},
        auth=(client.client_id, client.client_secret),
    )
    assert reused.json()["error"] == "invalid_grant"


async def test_client_credentials_under_row_level_security(pg_partner: Partner):
    client = pg_partner.oauth(await pg_partner.register())
    await install(pg_partner, client)
    await client.fetch_token(TOKEN_URL, grant_type="client_credentials", tenant="acme")
    assert "errors" not in (await gql(client, CONTACTS)).json()


APP_TABLES = ("oauth_code", "oauth_refresh_token", "oauth_grant", "app_installation")


async def counts(conn: asyncpg.Connection, tenant: object) -> dict[str, int]:
    """Rows the application's role sees in each app table, scoped to `tenant`."""
    async with conn.transaction():
        await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant))
        return {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in APP_TABLES}


async def test_app_rows_are_invisible_to_another_tenant(
    pg_partner: Partner, pg_database: PostgresDatabase
):
    await authorized_client(pg_partner, await pg_partner.register())
    conn = await asyncpg.connect(pg_database.app_dsn)
    try:
        foreign = await counts(conn, pg_partner.tenants["globex"].tenant_id)
        own = await counts(conn, pg_partner.tenants["acme"].tenant_id)
    finally:
        await conn.close()
    assert foreign == dict.fromkeys(APP_TABLES, 0)
    assert own == dict.fromkeys(APP_TABLES, 1)
