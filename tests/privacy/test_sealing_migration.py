"""Migrations 0021 and 0023 encrypt the deal titles, activity subjects and contacts'
job titles, cities and countries already stored (models/sealing.py; policy section 8,
issue 10), on SQLite and PostgreSQL.

A database is migrated to 0020, given a tenant, its wrapped data key and plain rows,
then migrated to head with the master keys: every value reads back through the tenant's
cipher and none is left in plain text (on SQLite, none anywhere in the file's bytes).
Without the master keys, the migration refuses before changing anything."""

from __future__ import annotations

import secrets
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.util.exc import CommandError

from models.migrate import upgrade_sync
from models.sealing import SealingError
from privacy.crypto import TenantCipher, new_data_key, wrap_key
from tests.support.postgres import PostgresDatabase, _admin_connection, dsn
from tests.support.postgres import unreachable as postgres_unreachable

MASTER = {"k1": new_data_key()}
WHEN = "2026-01-01 00:00:00"


@dataclass
class Stored:
    tenant: uuid.UUID
    data_key: bytes
    title: str
    subject: str
    contact: tuple[str, str, str]
    deal: uuid.UUID
    activity: uuid.UUID

    def cipher(self) -> TenantCipher:
        return TenantCipher(self.data_key, self.tenant)


def _id(engine: sa.Engine, value: uuid.UUID) -> str:
    return value.hex if engine.dialect.name == "sqlite" else str(value)


def plant(engine: sa.Engine) -> Stored:
    """Plain rows as a 0020 database holds them (inserted as the owner)."""
    marker = f"cnry-{secrets.token_hex(6)}"
    data_key = new_data_key()
    tenant, deal, activity = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    contact = (f"{marker} job", f"{marker} city", "NZ")
    stored = Stored(
        tenant, data_key, f"{marker} title", f"{marker} subject", contact, deal, activity
    )
    ids = {"t": _id(engine, tenant), "d": _id(engine, deal), "a": _id(engine, activity),
           "c": _id(engine, uuid.uuid4())}  # fmt: skip
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO tenant (id, name, slug, region, created_at) "
                    "VALUES (:t, 'Acme', :slug, 'eu', :w)"),
            {**ids, "slug": f"acme-{tenant.hex[:8]}", "w": WHEN},
        )  # fmt: skip
        conn.execute(
            sa.text("INSERT INTO tenant_key (tenant_id, master_key_id, wrapped_key, created_at) "
                    "VALUES (:t, 'k1', :k, :w)"),
            {**ids, "k": wrap_key(MASTER["k1"], data_key, tenant), "w": WHEN},
        )  # fmt: skip
        conn.execute(
            sa.text("INSERT INTO deal (id, tenant_id, title, amount, currency, stage, "
                    "created_at, updated_at) VALUES (:d, :t, :v, 0, 'EUR', 'prospecting', :w, :w)"),
            {**ids, "v": stored.title, "w": WHEN},
        )  # fmt: skip
        conn.execute(
            sa.text("INSERT INTO activity (id, tenant_id, kind, subject, done, deal_id, "
                    "created_at, updated_at) VALUES (:a, :t, 'note', :v, false, :d, :w, :w)"),
            {**ids, "v": stored.subject, "w": WHEN},
        )  # fmt: skip
        conn.execute(
            sa.text("INSERT INTO contact (id, tenant_id, job_title, city, country, "
                    "lifecycle_stage, restricted, created_at, updated_at) "
                    "VALUES (:c, :t, :j, :city, :n, 'lead', false, :w, :w)"),
            {**ids, "j": contact[0], "city": contact[1], "n": contact[2], "w": WHEN},
        )  # fmt: skip
    return stored


def sealed(engine: sa.Engine, stored: Stored) -> tuple[list[bytes], list[bytes]]:
    """(title, subject), (job title, city, country) as stored after the migration."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT set_config('app.tenant_id', :t, false)"),
                         {"t": str(stored.tenant)})  # fmt: skip
        title = conn.execute(sa.text("SELECT title_enc FROM deal")).scalar_one()
        subject = conn.execute(sa.text("SELECT subject_enc FROM activity")).scalar_one()
        contact = conn.execute(
            sa.text("SELECT job_title_enc, city_enc, country_enc FROM contact")
        ).one()
    return [bytes(title), bytes(subject)], [bytes(v) for v in contact]


def columns(engine: sa.Engine, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(engine).get_columns(table)}


def assert_sealed_by_migration(url: str, engine: sa.Engine) -> None:
    stored = plant(engine)
    upgrade_sync(url, master_keys=MASTER)
    texts, contact = sealed(engine, stored)
    cipher = stored.cipher()
    assert [cipher.decrypt(v) for v in texts] == [stored.title, stored.subject]
    assert tuple(cipher.decrypt(v) for v in contact) == stored.contact
    assert "title" not in columns(engine, "deal")
    assert "subject" not in columns(engine, "activity")
    assert {"job_title", "city", "country"}.isdisjoint(columns(engine, "contact"))


# -- SQLite ----------------------------------------------------------------------------


@pytest.fixture
def sqlite_0020(tmp_path: Path) -> Iterator[tuple[str, sa.Engine, Path]]:
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade_sync(url, "0020")
    engine = sa.create_engine(f"sqlite:///{path}")
    yield url, engine, path
    engine.dispose()


def test_sqlite_migration_encrypts_stored_titles_and_subjects(sqlite_0020):
    url, engine, _ = sqlite_0020
    assert_sealed_by_migration(url, engine)


def test_sqlite_migration_leaves_no_plain_value_in_the_file(sqlite_0020):
    url, engine, path = sqlite_0020
    stored = plant(engine)
    upgrade_sync(url, master_keys=MASTER)
    engine.dispose()
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    content = b"".join(p.read_bytes() for p in path.parent.glob(f"{path.name}*"))
    assert stored.title.split()[0].encode() not in content  # the marker of every value


def test_migration_without_the_master_keys_refuses_and_changes_nothing(sqlite_0020):
    url, engine, _ = sqlite_0020
    plant(engine)
    with pytest.raises((SealingError, CommandError), match="master key"):
        upgrade_sync(url)
    assert "title" in columns(engine, "deal")
    assert "title_enc" not in columns(engine, "deal")


def test_an_empty_database_migrates_without_keys(sqlite_0020):
    url, engine, _ = sqlite_0020
    upgrade_sync(url)
    assert "title_enc" in columns(engine, "deal")


# -- PostgreSQL ------------------------------------------------------------------------


@pytest.fixture
def postgres_0020() -> Iterator[tuple[str, sa.Engine]]:
    name = f"ledgerline_test_{secrets.token_hex(6)}"
    try:
        with _admin_connection() as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # pragma: no cover - depends on the machine
        postgres_unreachable(f"PostgreSQL unreachable: {exc}")
    database = PostgresDatabase(name)
    engine = sa.create_engine(dsn(name).replace("postgresql://", "postgresql+psycopg://"))
    try:
        upgrade_sync(database.owner_url, "0020")
        yield database.owner_url, engine
    finally:
        engine.dispose()
        database.drop()


def test_postgres_migration_encrypts_stored_titles_and_subjects(postgres_0020):
    url, engine = postgres_0020
    assert_sealed_by_migration(url, engine)
