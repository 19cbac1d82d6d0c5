"""`node(id:)` and `nodes(ids:)`: any object by opaque global id.

An id of another tenant, of a type the caller may not read, or of nothing at all all
answer the same way: `null` for that id, with a NOT_FOUND error at its path.
"""

from __future__ import annotations

from typing import Any

import strawberry

from auth.permissions import Permission as P
from resolvers.global_ids import decode_id
from resolvers.references import existing
from schema.policy import POLICY_KEY, GuardPolicy
from schema.types.node import Node
from server.errors import not_found

READ_PERMISSION = {
    "Contact": P.CONTACTS_READ,
    "Company": P.COMPANIES_READ,
    "Deal": P.DEALS_READ,
    "Activity": P.ACTIVITIES_READ,
}
MAX_IDS = 100


async def _resolve(ctx: Any, global_id: str) -> Any:
    ctx.require_principal()
    type_name, _ = decode_id(global_id)
    permission = READ_PERMISSION.get(type_name)
    if permission is None or permission not in ctx.principal.permissions:
        raise not_found()
    try:
        return await existing(ctx, global_id, type_name)
    except Exception as exc:
        raise not_found() from exc


@strawberry.type
class Query:
    @strawberry.field(
        description="Any object by its global id.",
        metadata={POLICY_KEY: GuardPolicy(P.CONTACTS_READ)},
    )
    async def node(self, info: strawberry.Info, id: strawberry.ID) -> Node | None:
        return await _resolve(info.context, id)

    @strawberry.field(
        description=f"Several objects by global id (at most {MAX_IDS}); null where not found.",
        metadata={POLICY_KEY: GuardPolicy(P.CONTACTS_READ)},
    )
    async def nodes(self, info: strawberry.Info, ids: list[strawberry.ID]) -> list[Node | None]:
        from server.errors import bad_input

        if len(ids) > MAX_IDS:
            raise bad_input(f"At most {MAX_IDS} ids per request.", "ids")
        out: list[Any] = []
        for global_id in ids:
            try:
                out.append(await _resolve(info.context, global_id))
            except Exception:
                out.append(None)
        return out
