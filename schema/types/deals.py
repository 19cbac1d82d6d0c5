"""Deals: opportunities with an exact amount and an ISO 4217 currency."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from auth.permissions import Permission as P
from core.context import RequestContext
from models import Activity as ActivityModel
from privacy.consent import ERASED_TEXT
from resolvers.loaders import to_many, to_one
from resolvers.rows import ActivityRow, DealRow
from schema.directives import Requires, TenantScoped
from schema.policy import guarded_field, load_related, plain_field, sealed_field
from schema.types.node import Node

if TYPE_CHECKING:
    from schema.types.activities import Activity
    from schema.types.companies import Company
    from schema.types.contacts import Contact
    from schema.types.members import Member

COMPANY = to_one("company_by_id", "company_id")
CONTACT = to_one("contact_by_id", "primary_contact_id")
ACTIVITIES = to_many(ActivityRow, ActivityModel, ActivityModel.deal_id)


ContactRef = Annotated["Contact", strawberry.lazy("schema.types.contacts")]
CompanyRef = Annotated["Company", strawberry.lazy("schema.types.companies")]
ActivityRef = Annotated["Activity", strawberry.lazy("schema.types.activities")]
MemberRef = Annotated["Member", strawberry.lazy("schema.types.members")]


@strawberry.type(
    description="A sales opportunity.",
    directives=[TenantScoped(), Requires(permission=P.DEALS_READ)],
)
class Deal(Node):
    title: str = sealed_field("Deal title.", source="title_enc", empty=ERASED_TEXT)
    amount: Decimal = plain_field("Amount, exact to the cent.")
    currency: str = plain_field("ISO 4217 currency code.")
    stage: str = plain_field("Pipeline stage.")
    expected_close_date: date | None = plain_field("When the deal is expected to close.")
    closed_at: datetime | None = plain_field("When the deal was won or lost.")
    created_at: datetime = plain_field("When the deal was created.")
    updated_at: datetime = plain_field("When the deal last changed.")

    @guarded_field(
        permission=P.COMPANIES_READ, description="The company of the deal.", batch=COMPANY
    )
    async def company(
        self, root: strawberry.Parent[Any], info: strawberry.Info[RequestContext, None]
    ) -> CompanyRef | None:
        return await load_related(COMPANY, info, root)

    @guarded_field(permission=P.CONTACTS_READ, description="The primary contact.", batch=CONTACT)
    async def primary_contact(
        self, root: strawberry.Parent[Any], info: strawberry.Info[RequestContext, None]
    ) -> ContactRef | None:
        return await load_related(CONTACT, info, root)

    @guarded_field(permission=P.MEMBERS_READ, description="The member who owns the deal.")
    async def owner(
        self, root: strawberry.Parent[Any], info: strawberry.Info[RequestContext, None]
    ) -> MemberRef | None:
        from resolvers.contacts import member

        return await member(info, root.owner_id)

    @guarded_field(
        permission=P.ACTIVITIES_READ, description="Activities about this deal.", batch=ACTIVITIES
    )
    async def activities(
        self,
        root: strawberry.Parent[Any],
        info: strawberry.Info[RequestContext, None],
        first: int = 10,
    ) -> list[ActivityRef]:
        return await load_related(ACTIVITIES, info, root, first=first)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, DealRow)
