"""Companies: relations (list, filters and mutations live beside them)."""

from __future__ import annotations

from typing import Any

from models import Activity, Contact, Deal
from resolvers.contacts import _page_limit
from resolvers.rows import ActivityRow, ContactRow, DealRow


async def contacts_of(info: Any, row: Any, first: int) -> list[Any]:
    ctx = info.context
    return await ctx.loaders.children(
        ContactRow, Contact, Contact.company_id, _page_limit(ctx, first)
    ).load(row.id)


async def deals_of(info: Any, row: Any, first: int) -> list[Any]:
    ctx = info.context
    return await ctx.loaders.children(DealRow, Deal, Deal.company_id, _page_limit(ctx, first)).load(
        row.id
    )


async def activities_of(info: Any, row: Any, first: int) -> list[Any]:
    ctx = info.context
    return await ctx.loaders.children(
        ActivityRow, Activity, Activity.company_id, _page_limit(ctx, first)
    ).load(row.id)
