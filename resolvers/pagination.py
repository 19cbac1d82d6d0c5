"""Relay-style keyset pagination: `first/after` and `last/before`, capped page size.

Cursors carry the sort value and the row id (never personal data: only non-personal
columns are sortable), base64url-encoded so clients treat them as opaque.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, func, or_

from core.errors import bad_input


@dataclass(frozen=True)
class PageArgs:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None


@dataclass
class Page:
    rows: list[Any]
    has_next: bool
    has_previous: bool
    sort_key: str
    count_stmt: Select[Any]

    def cursor(self, row: Any) -> str:
        return encode_cursor(getattr(row, self.sort_key), row.id)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def encode_cursor(sort_value: Any, row_id: uuid.UUID) -> str:
    raw = json.dumps([_jsonable(sort_value), row_id.hex], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, sort_type: type) -> tuple[Any, uuid.UUID]:
    """The (sort value, row id) of a cursor, each checked by type: a cursor is client
    input, and a value of another JSON type must never reach the SQL comparison."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(decoded, list) or len(decoded) != 2:
            raise ValueError("a cursor is a pair")
        value, hex_id = decoded
        if not isinstance(hex_id, str):
            raise TypeError("the row id is text")
        if value is not None:
            value = _typed(value, sort_type)
        return value, uuid.UUID(hex=hex_id)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
        raise bad_input("Invalid pagination cursor.", "cursor") from exc


def _typed(value: Any, sort_type: type) -> Any:
    if sort_type is datetime:
        if not isinstance(value, str):
            raise TypeError("a datetime cursor holds text")
        return datetime.fromisoformat(value)
    if sort_type in (int, float, Decimal):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError("a numeric cursor holds a number")
        return value
    if not isinstance(value, str):
        raise TypeError("a text cursor holds text")
    return value


def sort_type_of(column: Any) -> type:
    """The Python type a sort column compares as (datetime, a number, or text)."""
    if "DateTime" in repr(column.type):
        return datetime
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return str
    return python_type if python_type in (datetime, int, float, Decimal) else str


def page_size(args: PageArgs, max_page: int) -> tuple[int, bool]:
    """(size, backwards). Refuses sizes above the cap rather than silently truncating."""
    if args.first is not None and args.last is not None:
        raise bad_input("Pass either `first` or `last`, not both.", "first")
    size = args.last if args.last is not None else args.first
    backwards = args.last is not None
    if size is None:
        size = min(20, max_page)
    if size < 0:
        raise bad_input("Page size must not be negative.", "last" if backwards else "first")
    if size > max_page:
        raise bad_input(f"Page size is capped at {max_page}.", "last" if backwards else "first")
    return size, backwards


async def fetch_page(
    session: Any,
    stmt: Select[Any],
    *,
    sort_column: Any,
    id_column: Any,
    descending: bool,
    args: PageArgs,
    max_page: int,
    sort_key: str,
) -> tuple[list[Any], Page]:
    """Run `stmt` (already filtered, tenant-guarded) for one page; return raw tuples."""
    size, backwards = page_size(args, max_page)
    # Same FROM and WHERE, still ORM-enabled, so the tenant guard applies to the count.
    count_stmt = stmt.with_only_columns(func.count(id_column), maintain_column_froms=True)
    sort_type = sort_type_of(sort_column)
    forward_desc = descending != backwards
    for cursor, after in ((args.after, True), (args.before, False)):
        if cursor is None:
            continue
        value, row_id = decode_cursor(cursor, sort_type)
        # "after" in the requested order means "further along the scan direction".
        greater = (not descending) if after else descending
        if greater:
            cond = or_(sort_column > value, and_(sort_column == value, id_column > row_id))
        else:
            cond = or_(sort_column < value, and_(sort_column == value, id_column < row_id))
        stmt = stmt.where(cond)
    order = (sort_column.desc(), id_column.desc()) if forward_desc else (sort_column, id_column)
    result = (await session.execute(stmt.order_by(*order).limit(size + 1))).all()
    more = len(result) > size
    rows = result[:size]
    if backwards:
        rows = list(reversed(rows))
        has_previous, has_next = more, args.before is not None
    else:
        has_next, has_previous = more, args.after is not None
    return rows, Page([], has_next, has_previous, sort_key, count_stmt)
