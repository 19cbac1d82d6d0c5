"""Synchronous sessions for code that runs in a worker thread (the OAuth authorization
server, whose core, authlib's, is synchronous: auth/oauth/).

Same database, same role, same scoping as models/db.py: on PostgreSQL each transaction
sets `app.tenant_id`, `app.user_id` and `app.session_hash` for row-level security, and
the tenant guard filters every ORM statement by `session.info`. Only the driver
differs: psycopg instead of asyncpg, the standard sqlite3 module instead of aiosqlite.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from models.db import Database, _PostgresSession, _sqlite_pragmas

_SYNC_DRIVERS = {"postgresql": "postgresql+psycopg", "sqlite": "sqlite"}


def sync_url(url: str) -> str:
    parsed = make_url(url)
    driver = _SYNC_DRIVERS[parsed.get_backend_name()]
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


class SyncDatabase:
    """One per process, beside the async `Database` it mirrors."""

    def __init__(self, db: Database) -> None:
        self.is_postgres = db.is_postgres
        kwargs: dict[str, object] = {"hide_parameters": True}
        if self.is_postgres:
            kwargs.update(pool_size=4, max_overflow=4)
        self.engine: Engine = create_engine(sync_url(db.url), **kwargs)
        if not self.is_postgres:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._factory = sessionmaker(
            self.engine,
            class_=_PostgresSession if self.is_postgres else Session,
            expire_on_commit=False,
            autoflush=False,
        )

    @contextmanager
    def session(
        self,
        tenant_id: uuid.UUID | None = None,
        *,
        user_id: uuid.UUID | None = None,
        session_hash: bytes | None = None,
    ) -> Iterator[Session]:
        session = self._factory(
            info={"tenant_id": tenant_id, "user_id": user_id, "session_hash": session_hash}
        )
        try:
            yield session
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def enter_scope_sync(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID | None) -> None:
    """`models.db.enter_scope` for a synchronous session: the tenant found by a secret's
    hash becomes the scope of the rest of the transaction."""
    from models.db import _SET_SCOPE, _scope_params

    session.info["tenant_id"] = tenant_id
    session.info["user_id"] = user_id
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        session.connection().execute(_SET_SCOPE, _scope_params(session.info))
