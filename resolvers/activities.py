"""Activities: relations (list, filters and mutations live beside them)."""

from __future__ import annotations

from typing import Any


async def contact_of(info: Any, row: Any) -> Any:
    if row.contact_id is None:
        return None
    return await info.context.loaders.contact_by_id.load(row.contact_id)


async def company_of(info: Any, row: Any) -> Any:
    if row.company_id is None:
        return None
    return await info.context.loaders.company_by_id.load(row.company_id)


async def deal_of(info: Any, row: Any) -> Any:
    if row.deal_id is None:
        return None
    return await info.context.loaders.deal_by_id.load(row.deal_id)
