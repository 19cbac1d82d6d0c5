"""Database round trips of one request, counted at the engine: a deterministic measure
that the shared machine's noise cannot move (bench/README.md, "Round trips").

What is counted, per transaction the request opens:
- `begin`: SQLAlchemy's `begin` event. On PostgreSQL asyncpg sends BEGIN as its own
  message before the first statement; on SQLite the driver begins implicitly (before
  the first write), so there it is an in-process call, not a round trip.
- `statements`: every cursor execution (`before_cursor_execute`); an executemany is
  one (asyncpg pipelines it).
- `prepares`: on PostgreSQL a statement whose text is not yet in the connection's
  prepared-statement cache costs a Parse/Describe round trip before it runs; a warm
  request on a hot path should show none.
- `commit` / `rollback`: the `commit` and `rollback` events.

`calls` counts the Python function calls (and calls into C) the request makes, with a
`sys.setprofile` hook: like the round trips it does not move with the machine's load,
and it follows the interpreter's work closely enough to show a step's gain.

Written by hand because pg_stat_statements is not preloaded on this server and would
count the whole server, not one request; the engine's events see exactly this
process's statements.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event


@dataclass
class RoundTrips:
    begin: int = 0
    statements: int = 0
    prepares: int = 0
    commit: int = 0
    rollback: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    """Statements by their first keyword (`SCOPE` for the tenant-scope statement)."""
    sql: list[str] = field(default_factory=list)
    calls: int = 0
    """Python function calls (and calls into C) made inside the block."""

    @property
    def total(self) -> int:
        return self.begin + self.statements + self.prepares + self.commit + self.rollback

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "begin": self.begin, "statements": self.statements,
                "prepares": self.prepares, "commit": self.commit, "rollback": self.rollback,
                "kinds": dict(self.kinds), "calls": self.calls}  # fmt: skip


def statement_kind(statement: str) -> str:
    """`SCOPE` for the tenant-scope statement (with or without the bearer check), else
    the first keyword (SELECT, INSERT, ...)."""
    if "set_config(" in statement or "ledgerline_enter_scope(" in statement:
        return "SCOPE"
    stripped = statement.lstrip()
    return stripped.split(None, 1)[0].upper() if stripped else "?"


def _prepared_cache(dbapi_connection: Any) -> Any:
    """The asyncpg adapter's prepared-statement cache (None elsewhere)."""
    return getattr(dbapi_connection, "_prepared_statement_cache", None)


@contextmanager
def counting(engine: Any) -> Iterator[RoundTrips]:
    """Counts the round trips of everything `engine` runs inside the block."""
    sync_engine = getattr(engine, "sync_engine", engine)
    postgres = sync_engine.dialect.name == "postgresql"
    trips = RoundTrips()

    def on_begin(_conn: Any) -> None:
        trips.begin += 1

    def on_commit(_conn: Any) -> None:
        trips.commit += 1

    def on_rollback(_conn: Any) -> None:
        trips.rollback += 1

    def on_statement(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        trips.statements += 1
        trips.sql.append(statement)
        kind = statement_kind(statement)
        trips.kinds[kind] = trips.kinds.get(kind, 0) + 1
        if postgres:
            cache = _prepared_cache(conn.connection.dbapi_connection)
            if cache is not None and statement not in cache:
                trips.prepares += 1

    listeners = (("begin", on_begin), ("commit", on_commit), ("rollback", on_rollback),
                 ("before_cursor_execute", on_statement))  # fmt: skip

    def on_call(_frame: Any, what: str, _arg: Any) -> None:
        if what in ("call", "c_call"):
            trips.calls += 1

    for name, fn in listeners:
        event.listen(sync_engine, name, fn)
    sys.setprofile(on_call)
    try:
        yield trips
    finally:
        sys.setprofile(None)
        for name, fn in listeners:
            event.remove(sync_engine, name, fn)
