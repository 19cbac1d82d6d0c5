"""Small helpers the resolver tests share: errors as plain data, and a tenant's rows of a
table (to assert that a refused operation changed nothing)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select


def errors(result: Any) -> list[dict[str, Any]]:
    return [
        {"message": e.message, "path": e.path, "extensions": e.extensions}
        for e in result.errors or []
    ]


def codes(result: Any) -> list[Any]:
    return [e["extensions"] for e in errors(result)]


async def row_count(services: Any, world: Any, model: Any) -> int:
    async with services.db.session(world.tenant_id) as session:
        return (await session.execute(select(func.count(model.id)))).scalar_one()


async def row_snapshot(services: Any, world: Any, model: Any) -> list[tuple[Any, ...]]:
    async with services.db.session(world.tenant_id) as session:
        rows = await session.execute(select(model).order_by(model.id))
        return [tuple(row.model_dump().items()) for row in rows.scalars()]
