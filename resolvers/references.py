"""Resolving ids given by clients into rows of the caller's tenant.

Policy section 4: an id of another tenant and an id that does not exist produce the
same NOT_FOUND (same message, same code, same field), because the lookup only ever
searches the caller's tenant.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal, overload

from sqlalchemy import select
from sqlmodel import col

from core.context import RequestContext
from core.errors import AppError, Code
from models import Membership
from resolvers.global_ids import decode_id
from resolvers.loaders import MemberByUserLoader, _ByIdLoader, loaders_of
from resolvers.rows import ActivityRow, CompanyRow, ContactRow, DealRow, Row


def _missing(kind: str, field: str | None) -> AppError:
    extra = {"field": field} if field else {}
    return AppError(Code.NOT_FOUND, f"No {kind} with this id.", **extra)


@overload
async def existing(
    ctx: RequestContext, global_id: str, type_name: Literal["Contact"], field: str | None = None
) -> ContactRow: ...
@overload
async def existing(
    ctx: RequestContext, global_id: str, type_name: Literal["Company"], field: str | None = None
) -> CompanyRow: ...
@overload
async def existing(
    ctx: RequestContext, global_id: str, type_name: Literal["Deal"], field: str | None = None
) -> DealRow: ...
@overload
async def existing(
    ctx: RequestContext, global_id: str, type_name: Literal["Activity"], field: str | None = None
) -> ActivityRow: ...
@overload
async def existing(
    ctx: RequestContext, global_id: str, type_name: str, field: str | None = None
) -> Row: ...
async def existing(
    ctx: RequestContext, global_id: str, type_name: str, field: str | None = None
) -> Row:
    """The row behind `global_id` in the caller's tenant, or NOT_FOUND."""
    try:
        _, row_id = decode_id(global_id, type_name)
    except AppError as exc:
        raise _missing(type_name.lower(), field) from exc
    by_type: dict[str, _ByIdLoader[Any] | MemberByUserLoader] = {
        "Contact": loaders_of(ctx).contact_by_id,
        "Company": loaders_of(ctx).company_by_id,
        "Deal": loaders_of(ctx).deal_by_id,
        "Activity": loaders_of(ctx).activity_by_id,
        "Member": loaders_of(ctx).member_by_user,  # a member's id is its user id
    }
    loader = by_type[type_name]
    row: Row | None = await loader.load(row_id)
    if row is None:
        raise _missing(type_name.lower(), field)
    return row


async def optional_ref(
    ctx: RequestContext, global_id: str | None, type_name: str, field: str
) -> uuid.UUID | None:
    if global_id is None:
        return None
    return (await existing(ctx, global_id, type_name, field)).id


async def member_user_id(
    ctx: RequestContext, global_id: str | None, field: str
) -> uuid.UUID | None:
    """A member's user id, if that user belongs to the caller's tenant."""
    if global_id is None:
        return None
    try:
        _, user_id = decode_id(global_id, "Member")
    except AppError as exc:
        raise _missing("member", field) from exc
    found = (
        await ctx.db.execute(
            select(col(Membership.user_id)).where(col(Membership.user_id) == user_id)
        )
    ).scalar_one_or_none()
    if found is None:
        raise _missing("member", field)
    return user_id
