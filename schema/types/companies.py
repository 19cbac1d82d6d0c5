"""Companies: organisations in the CRM (no data subject of their own)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from auth.permissions import Permission as P
from core.context import RequestContext
from models import Activity as ActivityModel
from models import Contact as ContactModel
from models import Deal as DealModel
from privacy.categories import DataCategory as C
from resolvers.loaders import to_many
from resolvers.rows import ActivityRow, CompanyRow, ContactRow, DealRow
from schema.directives import Requires, TenantScoped
from schema.policy import guarded_field, load_related, pii_field, plain_field
from schema.types.node import Node

if TYPE_CHECKING:
    from schema.types.activities import Activity
    from schema.types.contacts import Contact
    from schema.types.deals import Deal
    from schema.types.members import Member

CONTACTS = to_many(ContactRow, ContactModel, ContactModel.company_id)
DEALS = to_many(DealRow, DealModel, DealModel.company_id)
ACTIVITIES = to_many(ActivityRow, ActivityModel, ActivityModel.company_id)


ContactRef = Annotated["Contact", strawberry.lazy("schema.types.contacts")]
DealRef = Annotated["Deal", strawberry.lazy("schema.types.deals")]
ActivityRef = Annotated["Activity", strawberry.lazy("schema.types.activities")]
MemberRef = Annotated["Member", strawberry.lazy("schema.types.members")]


@strawberry.type(
    description="An organisation the tenant does business with.",
    directives=[TenantScoped(), Requires(permission=P.COMPANIES_READ)],
)
class Company(Node):
    name: str = plain_field("Company name.")
    domain: str | None = plain_field("Web domain, e.g. example.com.")
    industry: str | None = plain_field("Industry.")
    size: int | None = plain_field("Number of employees.")
    address: str | None = pii_field(
        category=C.POSTAL_ADDRESS,
        permission=P.CONTACTS_READ_PII,
        source="address_enc",
        decode="text",
        subject_bound=False,
        description="Postal address (may identify a sole trader, so it is treated as personal).",
    )
    created_at: datetime = plain_field("When the company was created.")
    updated_at: datetime = plain_field("When the company last changed.")

    @guarded_field(permission=P.MEMBERS_READ, description="The member who owns the company.")
    async def owner(
        self, root: strawberry.Parent[Any], info: strawberry.Info[RequestContext, None]
    ) -> MemberRef | None:
        from resolvers.contacts import member

        return await member(info, root.owner_id)

    @guarded_field(
        permission=P.CONTACTS_READ, description="People at this company.", batch=CONTACTS
    )
    async def contacts(
        self,
        root: strawberry.Parent[Any],
        info: strawberry.Info[RequestContext, None],
        first: int = 10,
    ) -> list[ContactRef]:
        return await load_related(CONTACTS, info, root, first=first)

    @guarded_field(permission=P.DEALS_READ, description="Deals with this company.", batch=DEALS)
    async def deals(
        self,
        root: strawberry.Parent[Any],
        info: strawberry.Info[RequestContext, None],
        first: int = 10,
    ) -> list[DealRef]:
        return await load_related(DEALS, info, root, first=first)

    @guarded_field(
        permission=P.ACTIVITIES_READ, description="Activities about this company.", batch=ACTIVITIES
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
        return isinstance(obj, CompanyRow)
