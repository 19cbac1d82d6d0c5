"""Queries and mutations for deals."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal
from typing import Any

import strawberry

from auth.permissions import Permission as P
from core.context import RequestContext
from resolvers import deals as resolve
from resolvers.global_ids import encode_id
from resolvers.pagination import PageArgs
from resolvers.references import existing
from schema.operations.inputs import HOLD, DeletePayload, present
from schema.policy import guarded_field
from schema.types.deals import Deal
from schema.types.pagination import Connection


@strawberry.enum(
    description="Non-personal columns a deal list can be ordered by. Deals without an "
    "expected close date sort after every date."
)
class DealOrderField(enum.Enum):
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    AMOUNT = "AMOUNT"
    EXPECTED_CLOSE_DATE = "EXPECTED_CLOSE_DATE"


@strawberry.input
class DealFilter:
    company: strawberry.ID | None = None
    primary_contact: strawberry.ID | None = None
    stage: str | None = None
    owner: strawberry.ID | None = None
    min_amount: Decimal | None = strawberry.field(default=None, description="Inclusive.")
    max_amount: Decimal | None = strawberry.field(default=None, description="Inclusive.")
    currency: str | None = None
    expected_close_after: date | None = strawberry.field(default=None, description="Inclusive.")
    expected_close_before: date | None = strawberry.field(default=None, description="Exclusive.")


@strawberry.input(description="Changes to a deal: only the fields sent change.")
class UpdateDealInput:
    title: str | None = strawberry.UNSET
    amount: Decimal | None = strawberry.field(
        default=strawberry.UNSET,
        description='Non-negative, at most two decimals; send it as a string, e.g. "1250.50".',
    )
    currency: str | None = strawberry.UNSET
    stage: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="prospecting, qualification, proposal, negotiation, won or lost; "
        "won and lost set closedAt.",
    )
    expected_close_date: date | None = strawberry.UNSET
    company: strawberry.ID | None = strawberry.UNSET
    primary_contact: strawberry.ID | None = strawberry.UNSET
    owner: strawberry.ID | None = strawberry.UNSET


@strawberry.input(description="A new deal.")
class CreateDealInput(UpdateDealInput):
    title: str


@strawberry.type
class DealPayload:
    deal: Deal


@strawberry.type
class Query:
    @guarded_field(permission=P.DEALS_READ, description="Deals of your tenant, one page.")
    async def deals(
        self,
        info: strawberry.Info[RequestContext, None],
        filter: DealFilter | None = None,
        order_by: DealOrderField = DealOrderField.CREATED_AT,
        descending: bool = True,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Deal]:
        args = PageArgs(first, after, last, before)
        f = resolve.DealFilterArgs(**vars(filter)) if filter else None
        rows, page = await resolve.list_deals(info.context, f, order_by.value, descending, args)
        return Connection(nodes=rows, _page=page)  # type: ignore[arg-type]  # rows (is_type_of)

    @guarded_field(permission=P.DEALS_READ, description="One deal by id.")
    async def deal(self, info: strawberry.Info[RequestContext, None], id: strawberry.ID) -> Deal:
        return await existing(info.context, id, "Deal", "id")  # type: ignore[return-value]  # row (is_type_of)


def _payload(row: Any) -> DealPayload:
    return DealPayload(deal=row)


@strawberry.type
class Mutation:
    @guarded_field(permission=P.DEALS_WRITE, description="Create a deal.")
    async def create_deal(
        self, info: strawberry.Info[RequestContext, None], input: CreateDealInput
    ) -> DealPayload:
        return _payload(await resolve.create_deal(info.context, present(input)))

    @guarded_field(permission=P.DEALS_WRITE, description="Change a deal's fields.")
    async def update_deal(
        self, info: strawberry.Info[RequestContext, None], id: strawberry.ID, input: UpdateDealInput
    ) -> DealPayload:
        return _payload(await resolve.update_deal(info.context, id, present(input)))

    @guarded_field(
        permission=P.DEALS_WRITE,
        description="Move a deal to the trash (restorable for the workspace's trash period; "
        "then removed, its activities kept unlinked, or shelled if won)." + HOLD,
    )
    async def delete_deal(
        self, info: strawberry.Info[RequestContext, None], id: strawberry.ID
    ) -> DeletePayload:
        deleted = await resolve.delete_deal(info.context, id)
        return DeletePayload(deleted_id=strawberry.ID(encode_id("Deal", deleted)))
