"""Members of the caller's tenant (account holders), with their decrypted account data."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from models import Membership, User
from resolvers.rows import MemberRow


async def members_by_user(ctx: Any, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, MemberRow]:
    result = await ctx.db.execute(
        select(*MemberRow.COLUMNS, User.email_enc, User.display_name)
        .join(User, User.id == Membership.user_id)
        .where(Membership.user_id.in_(user_ids))
    )
    cipher = await ctx.services.keyring.platform_cipher(ctx.services.db)
    out = {}
    for values in result:
        row = MemberRow.from_tuple(values[: len(MemberRow.NAMES)])
        row.email = cipher.decrypt(values[-2])
        row.display_name = values[-1]
        out[row.user_id] = row
    return out


async def list_members(ctx: Any) -> list[MemberRow]:
    result = await ctx.db.execute(select(Membership.user_id))
    ids = [r[0] for r in result]
    found = await members_by_user(ctx, ids)
    return sorted(found.values(), key=lambda m: m.created_at)
