"""Tenant offboarding (policy sections 5 and 11; issue 10): delete a tenant and destroy
its data key, after which none of its personal data can be read anywhere.

Refused (LEGAL_HOLD) while any legal hold of the tenant is active. Otherwise, in one
transaction: the wrapped data key goes first (crypto-shredding: every `_enc` value and
every blind index of the tenant is unreadable from here on, including in backups),
then every row of every tenant table, children before parents, then the tenant itself;
once committed, its export packages' files.
Account holders' own accounts stay (they are the service's, not the tenant's; their
memberships of this tenant go).

The append-only protections of migrations 0009 and 0013 are for the application, not
for the end of the tenant: on PostgreSQL the deletion runs as the owner (DATABASE_URL)
in the tenant's row-level-security scope; on SQLite the DELETE-refusing triggers are
dropped and re-created inside the same transaction. SQLite then checkpoints its WAL
(secure_delete is on, models/db.py, so freed pages hold zeros).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Table, select, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import SQLModel, col

from core.services import Services
from models.db import make_engine
from models.legal_holds import LegalHold
from models.tenancy import Tenant
from privacy.export.storage import remove_file
from privacy.holds import hold_error

SET_SCOPE = text(
    "SELECT set_config('app.tenant_id', :tenant, true), set_config('app.user_id', :user, true)"
)


@dataclass
class Offboarded:
    tenant_id: uuid.UUID
    slug: str
    rows: dict[str, int] = field(default_factory=dict)
    """Rows deleted, per table."""


def tenant_tables() -> list[Table]:
    """Every table with a tenant_id, children before parents, the key first."""
    tables = [
        t
        for t in reversed(SQLModel.metadata.sorted_tables)
        if "tenant_id" in t.c and t.name != "tenant"
    ]
    return sorted(tables, key=lambda t: t.name != "tenant_key")


async def find_tenant(services: Services, slug: str) -> Tenant | None:
    async with services.db.session(None) as session:
        return (
            (await session.execute(select(Tenant).where(col(Tenant.slug) == slug)))
            .scalars()
            .first()
        )


async def ensure_no_active_hold(services: Services, tenant_id: uuid.UUID) -> None:
    """LEGAL_HOLD if any hold of the tenant is active (on it, a contact or a company)."""
    async with services.db.session(tenant_id) as session:
        hold = (
            (
                await session.execute(
                    select(LegalHold).where(col(LegalHold.released_at).is_(None)).limit(1)
                )
            )
            .scalars()
            .first()
        )
    if hold is not None:
        raise hold_error(hold)


async def _delete_rows(
    conn: AsyncConnection, tenant_id: uuid.UUID, tables: Sequence[Table]
) -> dict[str, int]:
    rows = {}
    for table in tables:
        result = await conn.execute(table.delete().where(table.c.tenant_id == tenant_id))
        rows[table.name] = result.rowcount
    return rows


async def _sqlite(conn: AsyncConnection, tenant_id: uuid.UUID) -> dict[str, int]:
    tables = tenant_tables()
    # The first DELETE opens the transaction (the key goes first); the triggers are
    # dropped and re-created inside it.
    rows = await _delete_rows(conn, tenant_id, tables[:1])
    found = await conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%BEFORE DELETE%'"
    )
    triggers = [(str(row["name"]), str(row["sql"])) for row in found.mappings()]
    for name, _ in triggers:
        await conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    rows |= await _delete_rows(conn, tenant_id, tables[1:])
    for _, sql in triggers:
        await conn.exec_driver_sql(sql)
    return rows


async def _postgres(conn: AsyncConnection, tenant_id: uuid.UUID) -> dict[str, int]:
    await conn.execute(SET_SCOPE, {"tenant": str(tenant_id), "user": ""})
    tables = tenant_tables()
    sessions = [t for t in tables if t.name == "auth_session"]
    members = (
        (
            await conn.execute(
                text("SELECT user_id FROM membership WHERE tenant_id = :t"), {"t": tenant_id}
            )
        )
        .scalars()
        .all()
    )
    rows: dict[str, int] = {}
    # auth_session's policy is the user's own: delete each member's sessions of this
    # tenant in that member's scope (a superuser owner sees them all anyway).
    for user_id in members:
        await conn.execute(SET_SCOPE, {"tenant": str(tenant_id), "user": str(user_id)})
        for table, count in (await _delete_rows(conn, tenant_id, sessions)).items():
            rows[table] = rows.get(table, 0) + count
    await conn.execute(SET_SCOPE, {"tenant": str(tenant_id), "user": ""})
    rows |= await _delete_rows(conn, tenant_id, [t for t in tables if t not in sessions])
    return rows


async def _export_files(conn: AsyncConnection, tenant_id: uuid.UUID) -> list[str]:
    """The tenant's export packages on disk, deleted once the rows are."""
    table = SQLModel.metadata.tables["privacy_export"]
    query = select(table.c.file_path).where(
        table.c.tenant_id == tenant_id, table.c.file_path.is_not(None)
    )
    return [str(path) for path in (await conn.execute(query)).scalars()]


async def checkpoint(services: Services) -> None:
    """SQLite: move the WAL into the file and truncate it (no old page versions left)."""
    if services.db.is_postgres:
        return
    async with services.db.engine.connect() as conn:
        await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


async def offboard(services: Services, tenant: Tenant) -> Offboarded:
    """Delete the tenant and shred its key; LEGAL_HOLD under an active hold."""
    await ensure_no_active_hold(services, tenant.id)
    report = Offboarded(tenant.id, tenant.slug)
    tenant_table = SQLModel.metadata.tables["tenant"]
    if services.db.is_postgres:
        engine = make_engine(services.db.owner_url, pool_size=1, max_overflow=0)
        try:
            async with engine.begin() as conn:
                await conn.execute(SET_SCOPE, {"tenant": str(tenant.id), "user": ""})
                files = await _export_files(conn, tenant.id)
                report.rows = await _postgres(conn, tenant.id)
                await conn.execute(tenant_table.delete().where(tenant_table.c.id == tenant.id))
        finally:
            await engine.dispose()
    else:
        async with services.db.engine.begin() as conn:
            files = await _export_files(conn, tenant.id)
            report.rows = await _sqlite(conn, tenant.id)
            await conn.execute(tenant_table.delete().where(tenant_table.c.id == tenant.id))
    for path in files:
        remove_file(path)
    services.keyring.forget(tenant.id)
    await checkpoint(services)
    return report
