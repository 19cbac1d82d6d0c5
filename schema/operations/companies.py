"""Queries and mutations for companies."""

from __future__ import annotations

import enum
from typing import Any

import strawberry

from auth.permissions import Permission as P
from core.context import RequestContext
from resolvers import companies as resolve
from resolvers.global_ids import encode_id
from resolvers.pagination import PageArgs
from resolvers.references import existing
from schema.operations.inputs import HOLD, DeletePayload, present
from schema.policy import guarded_field
from schema.types.companies import Company
from schema.types.pagination import Connection


@strawberry.enum(description="Non-personal columns a company list can be ordered by.")
class CompanyOrderField(enum.Enum):
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    NAME = "NAME"


@strawberry.input
class CompanyFilter:
    search: str | None = strawberry.field(
        default=None, description="Text in the company name, case-insensitive."
    )
    industry: str | None = strawberry.field(
        default=None, description="Exact industry, case-insensitive."
    )
    owner: strawberry.ID | None = None


@strawberry.input(description="Changes to a company: only the fields sent change.")
class UpdateCompanyInput:
    name: str | None = strawberry.UNSET
    domain: str | None = strawberry.UNSET
    industry: str | None = strawberry.UNSET
    size: int | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    owner: strawberry.ID | None = strawberry.UNSET


@strawberry.input(description="A new company.")
class CreateCompanyInput(UpdateCompanyInput):
    name: str


@strawberry.type
class CompanyPayload:
    company: Company


@strawberry.type
class Query:
    @guarded_field(permission=P.COMPANIES_READ, description="Companies of your tenant, one page.")
    async def companies(
        self,
        info: strawberry.Info[RequestContext, None],
        filter: CompanyFilter | None = None,
        order_by: CompanyOrderField = CompanyOrderField.CREATED_AT,
        descending: bool = True,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Company]:
        args = PageArgs(first, after, last, before)
        f = resolve.CompanyFilterArgs(**vars(filter)) if filter else None
        rows, page = await resolve.list_companies(info.context, f, order_by.value, descending, args)
        return Connection(nodes=rows, _page=page)  # type: ignore[arg-type]  # rows (is_type_of)

    @guarded_field(permission=P.COMPANIES_READ, description="One company by id.")
    async def company(
        self, info: strawberry.Info[RequestContext, None], id: strawberry.ID
    ) -> Company:
        return await existing(info.context, id, "Company", "id")  # type: ignore[return-value]  # row (is_type_of)


def _payload(row: Any) -> CompanyPayload:
    return CompanyPayload(company=row)


@strawberry.type
class Mutation:
    @guarded_field(permission=P.COMPANIES_WRITE, description="Create a company.")
    async def create_company(
        self, info: strawberry.Info[RequestContext, None], input: CreateCompanyInput
    ) -> CompanyPayload:
        return _payload(await resolve.create_company(info.context, present(input)))

    @guarded_field(permission=P.COMPANIES_WRITE, description="Change a company's fields.")
    async def update_company(
        self,
        info: strawberry.Info[RequestContext, None],
        id: strawberry.ID,
        input: UpdateCompanyInput,
    ) -> CompanyPayload:
        return _payload(await resolve.update_company(info.context, id, present(input)))

    @guarded_field(
        permission=P.COMPANIES_WRITE,
        description="Move a company to the trash (restorable for the workspace's trash "
        "period; then removed, its contacts, deals and activities kept unlinked)." + HOLD,
    )
    async def delete_company(
        self, info: strawberry.Info[RequestContext, None], id: strawberry.ID
    ) -> DeletePayload:
        deleted = await resolve.delete_company(info.context, id)
        return DeletePayload(deleted_id=strawberry.ID(encode_id("Company", deleted)))
