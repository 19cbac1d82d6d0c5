"""SQLite for the async engine without a thread hop per statement.

aiosqlite runs every call on a helper thread and hands results back through a queue;
for the embedded database, whose queries take microseconds, that hand-off costs more
than the query (about 10 hops per small request). This adapter offers the slice of
aiosqlite's connection and cursor API that SQLAlchemy's `sqlite+aiosqlite` dialect uses,
but runs each call directly on the event loop's thread with the stdlib `sqlite3`.

The trade-off is explicit: a long SQLite statement blocks the event loop while it runs.
That suits the single-process embedded default; production runs on PostgreSQL (asyncpg),
which this module does not touch. Written by hand because no maintained package offers
an in-thread aiosqlite-compatible connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from typing import Any


class InLoopCursor:
    __slots__ = ("_cursor", "arraysize")

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor
        self.arraysize = cursor.arraysize

    async def __aenter__(self) -> InLoopCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    async def execute(self, sql: str, parameters: Any = None) -> InLoopCursor:
        if parameters is None:
            self._cursor.execute(sql)
        else:
            self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, seq: Iterable[Any]) -> InLoopCursor:
        self._cursor.executemany(sql, seq)
        return self

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size or self.arraysize)

    async def close(self) -> None:
        self._cursor.close()

    async def setinputsizes(self, *_sizes: Any) -> None:
        return None


class _ImmediateQueue:
    """Stands in for aiosqlite's request queue (used by SQLAlchemy's isolation-level
    setter): runs the function now and resolves its future."""

    def put_nowait(self, item: tuple[Any, Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:  # pragma: no cover - passed back to the awaiting caller
            future.set_exception(exc)


class InLoopConnection:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        # SQLAlchemy checks it is truthy before commit/rollback
        self._connection: sqlite3.Connection | None = conn
        self._tx = _ImmediateQueue()

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> InLoopCursor:
        return InLoopCursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Any = None) -> InLoopCursor:
        return await self.cursor().execute(sql, parameters)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._conn.close()
            self._connection = None

    def stop(self) -> None:
        if self._connection is not None:
            self._conn.close()
            self._connection = None


def creator_for(path: str) -> Callable[[], Any]:
    async def connect() -> InLoopConnection:
        conn = sqlite3.connect(path, check_same_thread=False, uri=path.startswith("file:"))
        return InLoopConnection(conn)

    return connect
