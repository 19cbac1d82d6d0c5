"""Queries and mutations for activities (notes, calls, emails, meetings, tasks)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry

from auth.permissions import Permission as P
from core.context import RequestContext
from resolvers import activities as resolve
from resolvers.global_ids import encode_id
from resolvers.pagination import PageArgs
from resolvers.references import existing
from schema.operations.inputs import HOLD, DeletePayload, present
from schema.policy import guarded_field
from schema.types.activities import Activity
from schema.types.closed_sets import ActivityKind
from schema.types.pagination import Connection


@strawberry.enum(description="Non-personal columns an activity list can be ordered by.")
class ActivityOrderField(enum.Enum):
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"


@strawberry.input
class ActivityFilter:
    kind: ActivityKind | None = None
    contact: strawberry.ID | None = None
    company: strawberry.ID | None = None
    deal: strawberry.ID | None = None
    done: bool | None = None
    due_before: datetime | None = strawberry.field(default=None, description="Exclusive.")
    due_after: datetime | None = strawberry.field(default=None, description="Inclusive.")


@strawberry.input(description="Changes to an activity: only the fields sent change.")
class UpdateActivityInput:
    kind: ActivityKind | None = strawberry.UNSET
    subject: str | None = strawberry.UNSET
    body: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Free text about the person the activity is first linked to (its contact, "
        "else its deal's primary contact); moving the activity never changes that person.",
    )
    due_at: datetime | None = strawberry.UNSET
    done: bool | None = strawberry.UNSET
    contact: strawberry.ID | None = strawberry.UNSET
    company: strawberry.ID | None = strawberry.UNSET
    deal: strawberry.ID | None = strawberry.UNSET


@strawberry.input(description="A new activity: linked to at least one of contact, company, deal.")
class CreateActivityInput(UpdateActivityInput):
    kind: ActivityKind
    subject: str


@strawberry.type
class ActivityPayload:
    activity: Activity


@strawberry.type
class Query:
    @guarded_field(permission=P.ACTIVITIES_READ, description="Activities of your tenant, one page.")
    async def activities(
        self,
        info: strawberry.Info[RequestContext, None],
        filter: ActivityFilter | None = None,
        order_by: ActivityOrderField = ActivityOrderField.CREATED_AT,
        descending: bool = True,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Activity]:
        args = PageArgs(first, after, last, before)
        f = resolve.ActivityFilterArgs(**present(filter)) if filter else None
        rows, page = await resolve.list_activities(
            info.context, f, order_by.value, descending, args
        )
        return Connection(nodes=rows, _page=page)  # type: ignore[arg-type]  # rows (is_type_of)

    @guarded_field(permission=P.ACTIVITIES_READ, description="One activity by id.")
    async def activity(
        self, info: strawberry.Info[RequestContext, None], id: strawberry.ID
    ) -> Activity:
        return await existing(info.context, id, "Activity", "id")  # type: ignore[return-value]  # row (is_type_of)


def _payload(row: Any) -> ActivityPayload:
    return ActivityPayload(activity=row)


@strawberry.type
class Mutation:
    @guarded_field(permission=P.ACTIVITIES_WRITE, description="Log or plan an activity.")
    async def create_activity(
        self, info: strawberry.Info[RequestContext, None], input: CreateActivityInput
    ) -> ActivityPayload:
        return _payload(await resolve.create_activity(info.context, present(input)))

    @guarded_field(permission=P.ACTIVITIES_WRITE, description="Change an activity's fields.")
    async def update_activity(
        self,
        info: strawberry.Info[RequestContext, None],
        id: strawberry.ID,
        input: UpdateActivityInput,
    ) -> ActivityPayload:
        return _payload(await resolve.update_activity(info.context, id, present(input)))

    @guarded_field(
        permission=P.ACTIVITIES_WRITE,
        description="Move an activity to the trash (restorable for the workspace's trash "
        "period, then removed)." + HOLD,
    )
    async def delete_activity(
        self, info: strawberry.Info[RequestContext, None], id: strawberry.ID
    ) -> DeletePayload:
        deleted = await resolve.delete_activity(info.context, id)
        return DeletePayload(deleted_id=strawberry.ID(encode_id("Activity", deleted)))
