"""Deals: listing with filters, and create/update/delete.

Two sort keys need care, because keyset cursors compare values in SQL:
- `amount` is NUMERIC on PostgreSQL but canonical text on SQLite (models.base.Money),
  where text comparison would put 10.00 before 9.00. Sorting and range filters use a
  zero-padded text key (`amount_key`), exact on both backends.
- `expected_close_date` may be NULL, and NULL never compares; the sort key is the date
  as ISO text with NULL as the latest possible date ("no date" sorts after every date).
Both keys are text, so cursors carry plain strings and `fetch_page` needs no changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import String, cast, func, literal, select, update
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import col

from core.context import RequestContext
from core.errors import bad_input
from models import Deal
from models.base import utcnow
from models.deals import DEAL_STAGES
from privacy.webhooks.events import EventType
from resolvers import validation as v
from resolvers import webhooks
from resolvers.global_ids import encode_id
from resolvers.pagination import Page, PageArgs, encode_cursor, fetch_page
from resolvers.references import existing, member_user_id, optional_ref
from resolvers.rows import DealRow
from resolvers.trash import delete_to_trash

CLOSED_STAGES = ("won", "lost")
AMOUNT_KEY_WIDTH = 20  # "9999999999999999.99" (the largest amount validation accepts) is 19
NO_DATE = date(9999, 12, 31)
EARLIEST_CLOSE, LATEST_CLOSE = date(1900, 1, 1), date(2999, 12, 31)


class amount_key(FunctionElement[str]):  # noqa: N801  (SQL function style)
    """The amount as zero-padded text with two decimals: sorts like the number."""

    type = String()
    inherit_cache = True


@compiles(amount_key, "sqlite")
def _amount_key_sqlite(element: amount_key, compiler: Any, **kw: Any) -> str:
    pad = "0" * AMOUNT_KEY_WIDTH
    return f"substr('{pad}' || {compiler.process(element.clauses, **kw)}, -{AMOUNT_KEY_WIDTH})"


@compiles(amount_key)
def _amount_key_default(element: amount_key, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"lpad(CAST({column} AS TEXT), {AMOUNT_KEY_WIDTH}, '0')"


def amount_key_value(amount: Decimal) -> str:
    return f"{amount:.2f}".rjust(AMOUNT_KEY_WIDTH, "0")


def _close_key_value(row: Any) -> str:
    return (row.expected_close_date or NO_DATE).isoformat()


_CLOSE_KEY = cast(func.coalesce(Deal.expected_close_date, literal(NO_DATE)), String)

SORTS: dict[str, tuple[Any, Callable[[Any], Any] | None, str]] = {
    # order -> (SQL sort expression, cursor value of a row (None: the attribute), attribute)
    "CREATED_AT": (Deal.created_at, None, "created_at"),
    "UPDATED_AT": (Deal.updated_at, None, "updated_at"),
    "AMOUNT": (amount_key(Deal.amount), lambda row: amount_key_value(row.amount), "amount"),
    "EXPECTED_CLOSE_DATE": (_CLOSE_KEY, _close_key_value, "expected_close_date"),
}


@dataclass
class KeyedPage(Page):
    """A page whose cursors carry a computed sort key instead of a raw attribute."""

    key: Callable[[Any], Any] | None = None

    def cursor(self, row: Any) -> str:
        if self.key is None:
            return super().cursor(row)
        return encode_cursor(self.key(row), row.id)


@dataclass
class DealFilterArgs:
    company: str | None = None
    primary_contact: str | None = None
    stage: str | None = None
    owner: str | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    currency: str | None = None
    expected_close_after: date | None = None
    expected_close_before: date | None = None


async def deal_filters(ctx: RequestContext, f: DealFilterArgs | None) -> list[Any]:
    if f is None:
        return []
    clauses: list[Any] = []
    if f.company is not None:
        clauses.append(Deal.company_id == await optional_ref(ctx, f.company, "Company", "company"))
    if f.primary_contact is not None:
        contact_id = await optional_ref(ctx, f.primary_contact, "Contact", "primaryContact")
        clauses.append(Deal.primary_contact_id == contact_id)
    if f.stage is not None:
        clauses.append(Deal.stage == v.choice(f.stage, DEAL_STAGES, "stage"))
    if f.owner is not None:
        clauses.append(Deal.owner_id == await member_user_id(ctx, f.owner, "owner"))
    if f.min_amount is not None:
        low = amount_key_value(v.amount(f.min_amount, "minAmount"))
        clauses.append(amount_key(Deal.amount) >= low)
    if f.max_amount is not None:
        high = amount_key_value(v.amount(f.max_amount, "maxAmount"))
        clauses.append(amount_key(Deal.amount) <= high)
    if f.currency is not None:
        clauses.append(Deal.currency == v.currency(f.currency))
    if f.expected_close_after is not None:
        clauses.append(col(Deal.expected_close_date) >= f.expected_close_after)
    if f.expected_close_before is not None:
        clauses.append(col(Deal.expected_close_date) < f.expected_close_before)
    return clauses


async def list_deals(
    ctx: RequestContext, f: DealFilterArgs | None, order: str, descending: bool, args: PageArgs
) -> tuple[list[DealRow], Page]:
    stmt = select(*DealRow.COLUMNS).where(*await deal_filters(ctx, f))
    sort_column, key, attribute = SORTS[order]
    result, page = await fetch_page(
        ctx.db,
        stmt,
        sort_column=sort_column,
        id_column=Deal.id,
        descending=descending,
        args=args,
        max_page=ctx.services.settings.limits.max_page_size,
        sort_key=attribute,
    )
    keyed = KeyedPage(
        page.rows, page.has_next, page.has_previous, page.sort_key, page.count_stmt, key
    )
    return [DealRow.from_tuple(values) for values in result], keyed


def close_date(value: date | None, field: str = "expectedCloseDate") -> date | None:
    if value is not None and not EARLIEST_CLOSE <= value <= LATEST_CLOSE:
        raise bad_input(f"{field} must be between 1900-01-01 and 2999-12-31.", field)
    return value


def _not_null(data: dict[str, Any], key: str, field: str) -> Any:
    if data[key] is None:
        raise bad_input(f"{field} must not be null.", field)
    return data[key]


async def deal_values(ctx: RequestContext, data: dict[str, Any], creating: bool) -> dict[str, Any]:
    """Validate an input dict (only keys present are changed) into column values."""
    out: dict[str, Any] = {}
    if creating and "title" not in data:
        raise bad_input("title is required.", "title")
    if "title" in data:
        title = v.text(data["title"], "title", 200, required=True)
        out["title_enc"] = ctx.require_cipher().encrypt(title)
    if "amount" in data:
        out["amount"] = v.amount(_not_null(data, "amount", "amount"))
    if "currency" in data:
        out["currency"] = v.currency(_not_null(data, "currency", "currency"))
    if "stage" in data:
        out["stage"] = v.choice(_not_null(data, "stage", "stage"), DEAL_STAGES, "stage")
    if "expected_close_date" in data:
        out["expected_close_date"] = close_date(data["expected_close_date"])
    if "company" in data:
        out["company_id"] = await optional_ref(ctx, data["company"], "Company", "company")
    if "primary_contact" in data:
        out["primary_contact_id"] = await optional_ref(
            ctx, data["primary_contact"], "Contact", "primaryContact"
        )
    if "owner" in data:
        out["owner_id"] = await member_user_id(ctx, data["owner"], "owner")
    return out


def _closing(values: dict[str, Any], previous_stage: str | None) -> None:
    """Won or lost stamps `closed_at` (when the stage changes); reopening clears it."""
    stage = values.get("stage")
    if stage is None or stage == previous_stage:
        return
    values["closed_at"] = utcnow() if stage in CLOSED_STAGES else None


async def reload_deal(ctx: RequestContext, deal_id: uuid.UUID) -> DealRow:
    """Read back after a write, past the request's loader cache."""
    result = await ctx.db.execute(select(*DealRow.COLUMNS).where(col(Deal.id) == deal_id))
    return DealRow.from_tuple(result.one())


async def create_deal(ctx: RequestContext, data: dict[str, Any]) -> DealRow:
    values = await deal_values(ctx, data, creating=True)
    _closing(values, None)
    deal = Deal(**values)
    if "owner_id" not in values:
        deal.owner_id = ctx.require_principal().user_id
    ctx.db.add(deal)
    await ctx.db.flush()
    ctx.audit.record("deal_created", f"deal {deal.id}")
    return await reload_deal(ctx, deal.id)


async def update_deal(ctx: RequestContext, global_id: str, data: dict[str, Any]) -> DealRow:
    row = await existing(ctx, global_id, "Deal", "id")
    values = await deal_values(ctx, data, creating=False)
    _closing(values, row.stage)
    values["updated_at"] = utcnow()
    await ctx.db.execute(update(Deal).where(col(Deal.id) == row.id).values(**values))
    ctx.audit.record("deal_updated", f"deal {row.id}: {','.join(sorted(values))}")
    if values.get("stage") not in (None, row.stage):
        await webhooks.emit(
            ctx, EventType.DEAL_STAGE_CHANGED, None,
            {"id": encode_id("Deal", row.id), "stage": values["stage"]},
        )  # fmt: skip
    return await reload_deal(ctx, row.id)


async def delete_deal(ctx: RequestContext, global_id: str) -> uuid.UUID:
    """To the trash (resolvers/trash.py); its activities stay linked until the purge."""
    return await delete_to_trash(ctx, global_id, "Deal")
