"""Database engines and tenant-scoped sessions.

SQLite (a WAL-mode file in the data directory) is the embedded default; PostgreSQL is
chosen with DATABASE_URL. On PostgreSQL each transaction sets `app.tenant_id` and
`app.user_id` with SET LOCAL semantics (`set_config(..., true)`), which the row-level
security policies read (models/migrations: the third wall behind the application's
filter). A session opened for a request's credential (`bearer_session`,
`cookie_session`) sets the scope and checks the credential (the session's revocation,
the member's current role) in that same first statement (migration 0019): begin,
scope, the query, commit is the whole of a small read (issue 13).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, NamedTuple

from sqlalchemy import event, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

import models  # noqa: F401  (complete metadata)
import models.tenant_guard  # noqa: F401  (registers the guard)
from models.sqlite_inloop import creator_for

APP_ROLE = "ledgerline_app"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    # Deleted and overwritten content is zeroed, not left in free pages and freeblocks
    # (erasure, offboarding: policy section 9).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def app_url_for(owner_url: str) -> str:
    """The application's own login role on the same server (it owns no tables)."""
    url = make_url(owner_url)
    return url.set(username=APP_ROLE, password=None).render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    # Statement parameters carry personal data (names in plain text, ciphertexts): keep
    # them out of exception messages and logs.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
            if os.environ.get("LEDGERLINE_SQLITE_THREADED") != "1":
                kwargs.setdefault("async_creator", creator_for(path))
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    return create_async_engine(url, **kwargs)


def _scope_params(info: dict[str, Any]) -> dict[str, str]:
    tenant = info.get("tenant_id")
    user = info.get("user_scope") or info.get("user_id")
    secret_hash = info.get("session_hash")
    return {
        "tenant": str(tenant) if tenant else "",
        "user": str(user) if user else "",
        "session_hash": secret_hash.hex() if secret_hash else "",
    }


class BearerCheck(NamedTuple):
    """A bearer session's membership as the transaction's first statement read it."""

    role: str
    revoked: bool


class CookieCheck(NamedTuple):
    """A live cookie session and its member's role, as the first statement read them."""

    session_id: uuid.UUID
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    role: str


_CHECKED = "credential_check"
"""session.info key: the BearerCheck or CookieCheck its first transaction's first
statement read (None: no such live session or membership), once that has begun."""


def _set_pg_scope(session: Session, _tx: Any, connection: Any) -> None:
    """Each transaction's first statement: the RLS scope; in a request's first
    transaction, with its credential's check (migration 0019) in the same statement."""
    info = session.info
    params = _scope_params(info)
    if _CHECKED not in info and info.get("bearer_session") is not None:
        row = connection.execute(
            _ENTER_BEARER_SCOPE,
            {"tenant": params["tenant"], "user": params["user"],
             "bearer_session": info["bearer_session"]},
        ).first()  # fmt: skip
        info[_CHECKED] = None if row is None else BearerCheck(*row)
    elif _CHECKED not in info and info.get("cookie_session"):
        row = connection.execute(_ENTER_COOKIE_SCOPE, params).first()
        info[_CHECKED] = None if row is None else CookieCheck(*row)
        if row is not None:  # the scope the statement entered: the application filter's
            info["tenant_id"], info["user_id"] = row[2], row[1]
    else:
        connection.execute(_SET_SCOPE, params)


async def folded_check(session: AsyncSession) -> tuple[bool, BearerCheck | CookieCheck | None]:
    """(True, check) when the session was opened to check a credential (`bearer_session`
    or `cookie_session`) on PostgreSQL: what its first statement read, the transaction
    begun for it if need be (no round trip of its own). (False, None) elsewhere: the
    caller reads it itself."""
    info = session.info
    wanted = info.get("bearer_session") is not None or info.get("cookie_session")
    if not wanted or not _is_postgres(session):
        return False, None
    await session.connection()  # begins the transaction: the scope and the check run
    return True, info.get(_CHECKED)


def _is_postgres(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


_SET_SCOPE = text(
    "SELECT set_config('app.tenant_id', :tenant, true), set_config('app.user_id', :user, true),"
    " set_config('app.session_hash', :session_hash, true)"
)
_ENTER_BEARER_SCOPE = text(
    "SELECT member_role, session_revoked FROM ledgerline_enter_scope(:tenant, :user,"
    " :bearer_session)"
)
_ENTER_COOKIE_SCOPE = text(
    "SELECT cookie_session_id, cookie_user_id, cookie_tenant_id, member_role"
    " FROM ledgerline_enter_cookie_scope(:session_hash)"
)


async def enter_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Confine an open session to a tenant created inside it (sign-up, seeding): the
    application filter from now on, and on PostgreSQL the RLS scope of the current
    transaction too (it was set, empty, when the transaction began)."""
    await enter_scope(session, tenant_id, session.info.get("user_id"))


async def enter_scope(
    session: AsyncSession, tenant_id: uuid.UUID | None, user_id: uuid.UUID | None
) -> None:
    """As `enter_tenant`, with the acting user too: a request whose tenant is known
    only once its credential is read (a session cookie) enters it here."""
    session.info["tenant_id"] = tenant_id
    session.info["user_id"] = user_id
    if _is_postgres(session):
        connection = await session.connection()
        await connection.execute(_SET_SCOPE, _scope_params(session.info))


class ArrayInsert:
    """Many rows of one table in one statement: on PostgreSQL `INSERT ... SELECT * FROM
    unnest(...)` of one typed array per column, executed once, where an executemany
    has the server run the insert once per row (a thousand audit rows in about a tenth
    of the time); row-level security still checks every row in the session's tenant
    scope. Elsewhere an ORM bulk insert, checked by the tenant guard. For append-only
    logs written in batches (read audit, usage)."""

    def __init__(self, model: Any, columns: tuple[tuple[str, str], ...]) -> None:
        self.model = model
        self.columns = tuple(name for name, _type in columns)
        arrays = ", ".join(f"CAST(:{name} AS {sql_type}[])" for name, sql_type in columns)
        self.statement = text(
            f"INSERT INTO {model.__tablename__} ({', '.join(self.columns)})"
            f" SELECT * FROM unnest({arrays})"
        )

    async def write(self, session: AsyncSession, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if _is_postgres(session):
            connection = await session.connection()
            await connection.execute(
                self.statement, {c: [row[c] for row in rows] for c in self.columns}
            )
            return
        await session.execute(insert(self.model), rows)


class SerializedAsyncSession(AsyncSession):
    """One request's session, shared by resolvers that GraphQL runs concurrently (two
    root fields, aliases): a lock lets one statement at a time use the connection, which
    asyncpg requires. Transactions and the tenant scope are unchanged."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock = asyncio.Lock()

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        async with self._lock:
            return await super().execute(*args, **kwargs)

    async def scalar(self, *args: Any, **kwargs: Any) -> Any:
        async with self._lock:
            return await super().scalar(*args, **kwargs)

    async def scalars(self, *args: Any, **kwargs: Any) -> Any:
        async with self._lock:
            return await super().scalars(*args, **kwargs)

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        async with self._lock:
            return await super().get(*args, **kwargs)

    async def flush(self, *args: Any, **kwargs: Any) -> None:
        async with self._lock:
            await super().flush(*args, **kwargs)

    async def commit(self) -> None:
        async with self._lock:
            await super().commit()

    async def rollback(self) -> None:
        async with self._lock:
            await super().rollback()

    async def refresh(self, *args: Any, **kwargs: Any) -> None:
        async with self._lock:
            await super().refresh(*args, **kwargs)

    async def connection(self, *args: Any, **kwargs: Any) -> Any:
        async with self._lock:
            return await super().connection(*args, **kwargs)


class _PostgresSession(Session):
    """Sessions whose transactions carry the tenant scope for row-level security."""


event.listen(_PostgresSession, "after_begin", _set_pg_scope)


class Database:
    """One per process: the engine the application uses and a session factory."""

    def __init__(self, url: str, app_url: str | None = None) -> None:
        self.owner_url = url
        self.journal_path: str | None = None
        """Where committed erasures and purges are journaled (privacy/retention/journal.py,
        session.info["retention_journal"]); None: not journaled."""
        self.is_postgres = url.startswith("postgresql")
        self.url = (app_url or app_url_for(url)) if self.is_postgres else url
        self.engine = make_engine(self.url)
        self._factory = async_sessionmaker(
            self.engine,
            class_=SerializedAsyncSession,
            expire_on_commit=False,
            autoflush=False,
            sync_session_class=_PostgresSession if self.is_postgres else Session,
        )

    @asynccontextmanager
    async def session(
        self,
        tenant_id: uuid.UUID | None = None,
        *,
        user_scope: uuid.UUID | None = None,
        user_id: uuid.UUID | None = None,
        session_hash: bytes | None = None,
        bearer_session: uuid.UUID | None = None,
        cookie_session: bool = False,
    ) -> AsyncIterator[AsyncSession]:
        """A session confined to one tenant (or, before one is chosen, to one user).

        `session_hash` lets a sign-in secret find its own `auth_session` row before the
        caller is known (row-level security on PostgreSQL allows that one row).
        `bearer_session`: the signed-in session of the request's bearer token;
        `cookie_session`: the cookie whose hash is `session_hash`; either is checked
        with the scope in the first transaction's first statement (`folded_check`)."""
        session = self._factory(
            info={
                "tenant_id": tenant_id,
                "user_scope": user_scope,
                "user_id": user_id,
                "session_hash": session_hash,
                "bearer_session": bearer_session,
                "cookie_session": cookie_session,
                "retention_journal": self.journal_path,
            }
        )
        try:
            yield session
        finally:
            await session.close()

    async def verify_app_role(self) -> None:
        """Policy section 4: refuse to serve as a role that could bypass row-level security."""
        if not self.is_postgres:
            return
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    text(
                        "SELECT rolsuper, rolbypassrls, "
                        "(SELECT count(*) FROM pg_tables WHERE tableowner = current_user) "
                        "FROM pg_roles WHERE rolname = current_user"
                    )
                )
            ).one()
        if row[0] or row[1] or row[2]:
            raise RuntimeError(
                "the application's database role must not be a superuser, bypass RLS "
                "or own tables; set APP_DATABASE_URL to a restricted role"
            )

    async def dispose(self) -> None:
        await self.engine.dispose()
