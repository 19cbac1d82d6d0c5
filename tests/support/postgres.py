"""A throw-away PostgreSQL database per test session, on the real server.

`create_database()` makes `ledgerline_test_<random>` on 127.0.0.1:5432, migrates it with
the owner's URL (which creates the row-level security policies, the `ledgerline_app`
role and its grants) and returns a handle; `drop()` terminates the remaining
connections and drops it. Where the server cannot be reached the caller's test is
skipped with a message, except under `CI=true`, where that is a failure: CI must run
the production path.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
from psycopg import sql

from models.db import APP_ROLE

HOST = "127.0.0.1"
PORT = 5432
OWNER = "postgres"
ADMIN_DATABASE = "test"
CONNECT_TIMEOUT_S = 3

# Everything a tenant writes while using the CRM, parents before children; accounts,
# tenants, their keys and memberships stay for the whole session (made once, see
# tests/isolation/conftest.py).
TENANT_DATA_TABLES = (
    "company",
    "contact",
    "consent_event",
    "consent_state",
    "processing_event",
    "deal",
    "activity",
    "audit_event",
    "audit_subject",
    "audit_chain_head",
    "usage_event",
)
# A copy of the tenant data every test starts from, out of the application's reach
# (its role has no privilege on this schema) and out of the RLS meta-test's (public).
SEED_SCHEMA = "isolation_seed"


def unreachable(message: str) -> None:
    """Skip, or fail under CI=true (CI must exercise the PostgreSQL path)."""
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def dsn(database: str, user: str = OWNER) -> str:
    """A libpq URL (for psycopg and asyncpg)."""
    return f"postgresql://{user}@{HOST}:{PORT}/{database}"


def sqlalchemy_url(database: str, user: str = OWNER) -> str:
    return f"postgresql+asyncpg://{user}@{HOST}:{PORT}/{database}"


def _admin_connection() -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(
            dsn(ADMIN_DATABASE), autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
        )
    except psycopg.OperationalError as exc:
        unreachable(f"PostgreSQL at {HOST}:{PORT} is not reachable: {exc}".strip())
        raise  # unreachable() always raises; this keeps type checkers content


@dataclass
class PostgresDatabase:
    """One migrated test database and an owner connection kept open for cleaning."""

    name: str
    _owner: psycopg.Connection[Any] | None = field(default=None, repr=False)
    _seeded: tuple[str, ...] = field(default=(), repr=False)

    @property
    def owner_url(self) -> str:
        """DATABASE_URL: the owner, who migrates; the app derives `ledgerline_app` from it."""
        return sqlalchemy_url(self.name)

    @property
    def owner_dsn(self) -> str:
        return dsn(self.name)

    @property
    def app_dsn(self) -> str:
        """The application's restricted role, for raw connections that skip the ORM."""
        return dsn(self.name, APP_ROLE)

    def owner(self) -> psycopg.Connection[Any]:
        if self._owner is None or self._owner.closed:
            self._owner = psycopg.connect(
                self.owner_dsn, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
            )
        return self._owner

    def truncate(self, tables: Iterable[str] = TENANT_DATA_TABLES) -> None:
        """Empty the given tables as the owner (fast, unlike re-creating the database)."""
        names = sql.SQL(", ").join(sql.Identifier(t) for t in tables)
        self.owner().execute(sql.SQL("TRUNCATE {} CASCADE").format(names))

    def save_seed(self, tables: Iterable[str] = TENANT_DATA_TABLES) -> None:
        """Keep the current tenant data as the state `reset()` returns to."""
        statements = [sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE; CREATE SCHEMA {}").format(
            sql.Identifier(SEED_SCHEMA), sql.Identifier(SEED_SCHEMA)
        )]  # fmt: skip
        for table in tables:
            statements.append(
                sql.SQL("CREATE TABLE {} AS SELECT * FROM {}").format(
                    sql.Identifier(SEED_SCHEMA, table), sql.Identifier(table)
                )
            )
        self.owner().execute(sql.SQL("; ").join(statements))
        self._seeded = tuple(tables)

    def reset(self) -> None:
        """Empty the tenant data as the owner, then restore the saved seed, in one round
        trip (the owner is a superuser: row-level security does not apply to it).

        DELETE, children first, rather than TRUNCATE: on tables of a few rows it takes a
        millisecond where TRUNCATE (new files, flushed at commit) takes 50-500 ms.
        """
        statements = [
            sql.SQL("DELETE FROM {}").format(sql.Identifier(table))
            for table in reversed(TENANT_DATA_TABLES)
        ]
        for table in self._seeded:
            statements.append(
                sql.SQL("INSERT INTO {} SELECT * FROM {}").format(
                    sql.Identifier(table), sql.Identifier(SEED_SCHEMA, table)
                )
            )
        with self.owner().transaction():
            self.owner().execute(sql.SQL("; ").join(statements))

    def drop(self) -> None:
        if self._owner is not None and not self._owner.closed:
            self._owner.close()
        with _admin_connection() as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.name,),
            )
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(self.name)))


def create_database() -> PostgresDatabase:
    """Create and migrate `ledgerline_test_<random>`; skip (or fail under CI) if no server."""
    from models.migrate import upgrade_sync

    name = f"ledgerline_test_{secrets.token_hex(6)}"
    with _admin_connection() as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    database = PostgresDatabase(name)
    try:
        upgrade_sync(database.owner_url)
    except BaseException:
        database.drop()
        raise
    return database
