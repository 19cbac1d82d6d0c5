"""The trash (policy section 5; issue 11): deleted companies, contacts, deals and
activities, listed for admins and restorable while the workspace's period runs."""

from __future__ import annotations

import strawberry

from auth.permissions import Permission as P
from core.context import RequestContext
from resolvers import trash as resolve
from resolvers.global_ids import encode_id
from schema.policy import guarded_field
from schema.types.retention import RestorePayload, TrashItem


@strawberry.type
class Query:
    @guarded_field(
        permission=P.PRIVACY_ADMIN,
        description="What is in the trash, most recently deleted first (at most `first`).",
    )
    async def trash(
        self, info: strawberry.Info[RequestContext, None], first: int = 50
    ) -> list[TrashItem]:
        return [TrashItem.of(item) for item in await resolve.list_trash(info.context, first)]


@strawberry.type
class Mutation:
    @guarded_field(
        permission=P.PRIVACY_ADMIN,
        description="Bring a deleted record back from the trash, as it was (NOT_FOUND when "
        "it is not in the trash; TRASH_PERIOD_ENDED once its time there is over).",
    )
    async def restore(
        self, info: strawberry.Info[RequestContext, None], id: strawberry.ID
    ) -> RestorePayload:
        type_name, row_id = await resolve.restore(info.context, id)
        return RestorePayload(restored_id=strawberry.ID(encode_id(type_name, row_id)))
