"""Deals: relations (list, filters and mutations live beside them)."""

from __future__ import annotations

from typing import Any

from models import Activity
from resolvers.contacts import _page_limit
from resolvers.rows import ActivityRow


async def company_of(info: Any, row: Any) -> Any:
    if row.company_id is None:
        return None
    return await info.context.loaders.company_by_id.load(row.company_id)


async def primary_contact_of(info: Any, row: Any) -> Any:
    if row.primary_contact_id is None:
        return None
    return await info.context.loaders.contact_by_id.load(row.primary_contact_id)


async def activities_of(info: Any, row: Any, first: int) -> list[Any]:
    ctx = info.context
    return await ctx.loaders.children(
        ActivityRow, Activity, Activity.deal_id, _page_limit(ctx, first)
    ).load(row.id)
