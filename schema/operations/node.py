"""`node(id:)` and `nodes(ids:)`: any object by opaque global id.

An id of another tenant, of a type the caller may not read (its declared read
permission, schema/object_policy.py), or of nothing at all all answer the same way:
`null` for that id, with a NOT_FOUND error at its path.
"""

from __future__ import annotations

from typing import Any

import strawberry

from core.context import RequestContext
from core.errors import not_found
from resolvers.global_ids import decode_id
from resolvers.references import existing
from schema.object_policy import read_permission
from schema.types.node import Node

MAX_IDS = 100


async def _resolve(info: strawberry.Info[RequestContext, None], global_id: str) -> Any:
    """The object, when its type declares a read permission the caller holds."""
    ctx = info.context
    principal = ctx.require_principal()
    type_name, _ = decode_id(global_id)
    definition = info.schema.get_type_by_name(type_name)
    permission = read_permission(definition) if definition is not None else None
    if permission is None or permission not in principal.permissions:
        raise not_found()
    try:
        return await existing(ctx, global_id, type_name)
    except Exception as exc:
        raise not_found() from exc


@strawberry.type
class Query:
    @strawberry.field(
        description="Any object by its global id, if its type's read permission is yours."
    )
    async def node(
        self, info: strawberry.Info[RequestContext, None], id: strawberry.ID
    ) -> Node | None:
        return await _resolve(info, id)

    @strawberry.field(
        description=f"Several objects by global id (at most {MAX_IDS}); null where not found "
        "or where the type's read permission is not yours.",
    )
    async def nodes(
        self, info: strawberry.Info[RequestContext, None], ids: list[strawberry.ID]
    ) -> list[Node | None]:
        from core.errors import bad_input

        if len(ids) > MAX_IDS:
            raise bad_input(f"At most {MAX_IDS} ids per request.", "ids")
        out: list[Any] = []
        for global_id in ids:
            try:
                out.append(await _resolve(info, global_id))
            except Exception:
                out.append(None)
        return out
