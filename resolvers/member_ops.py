"""Members of a tenant: inviting, changing roles and removing (admin-only operations;
the last owner can be neither removed nor demoted, and only owners grant ownership)."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sqlalchemy import func, select, update

from auth.accounts import add_membership
from auth.passwords import hash_password
from auth.permissions import Role
from models import Activity, Company, Contact, Deal, Membership, User
from models.base import utcnow
from resolvers import validation
from resolvers.accounts import UNUSABLE_BIRTH_YEAR
from resolvers.global_ids import encode_id, try_decode
from resolvers.members import members_by_user
from resolvers.rows import MemberRow
from server.errors import AppError, Code, forbidden


def _member_missing() -> AppError:
    return AppError(Code.NOT_FOUND, "No member with this id.", field="member")


async def _membership(ctx: Any, member: str) -> Membership:
    user_id = try_decode(member, "Member")
    found = None
    if user_id is not None:
        found = (
            await ctx.db.execute(select(Membership).where(Membership.user_id == user_id))
        ).scalar_one_or_none()
    if found is None:
        raise _member_missing()
    return found


async def _owner_count(ctx: Any) -> int:
    return (
        await ctx.db.execute(
            select(func.count(Membership.id)).where(Membership.role == Role.OWNER.value)
        )
    ).scalar_one()


def _require_owner_for(ctx: Any, *roles: Role) -> None:
    """Only an owner may grant, take away or remove the owner role."""
    if Role.OWNER in roles and ctx.require_principal().role is not Role.OWNER:
        raise forbidden("grant or remove the owner role")


async def _member_row(ctx: Any, user_id: uuid.UUID) -> MemberRow:
    return (await members_by_user(ctx, [user_id]))[user_id]


async def invite_member(ctx: Any, email: str, role: Role, display_name: str | None) -> MemberRow:
    """Adds an existing account by email, or creates one with a random password that
    nobody knows (the invitee sets their own through password reset, and confirms
    their age and the policy then: until that, birth year 0 and no policy version)."""
    _require_owner_for(ctx, role)
    address = validation.email(email)
    assert address is not None
    name = validation.text(display_name, "displayName", 200)
    services = ctx.services
    cipher = await services.keyring.platform_cipher(services.db)
    session = ctx.db
    user_id = (
        await session.execute(select(User.id).where(User.email_bidx == cipher.blind_index(address)))
    ).scalar_one_or_none()
    if user_id is None:
        user = User(
            email_enc=cipher.encrypt(address),  # type: ignore[arg-type]
            email_bidx=cipher.blind_index(address),  # type: ignore[arg-type]
            display_name=name or address.split("@", 1)[0],
            password_hash=hash_password(secrets.token_urlsafe(32)),
            birth_year=UNUSABLE_BIRTH_YEAR,
            policy_version="",
        )
        session.add(user)
        await session.flush()
        user_id = user.id
    else:
        already = (
            await session.execute(select(Membership.id).where(Membership.user_id == user_id))
        ).first()
        if already is not None:
            raise AppError(Code.CONFLICT, "This person is already a member.", field="email")
    await add_membership(session, ctx.tenant_id, user_id, role)
    return await _member_row(ctx, user_id)


async def change_role(ctx: Any, member: str, role: Role) -> MemberRow:
    target = await _membership(ctx, member)
    current = Role(target.role)
    _require_owner_for(ctx, current, role)
    if current is Role.OWNER and role is not Role.OWNER and await _owner_count(ctx) <= 1:
        raise AppError(Code.LAST_OWNER, "A tenant keeps at least one owner.", field="member")
    target.role = role.value
    target.updated_at = utcnow()
    await ctx.db.flush()
    return await _member_row(ctx, target.user_id)


async def remove_member(ctx: Any, member: str) -> str:
    """Their records stay, without an owner or author; their sessions in this tenant
    end (deleted with the membership)."""
    target = await _membership(ctx, member)
    current = Role(target.role)
    _require_owner_for(ctx, current)
    if current is Role.OWNER and await _owner_count(ctx) <= 1:
        raise AppError(Code.LAST_OWNER, "A tenant keeps at least one owner.", field="member")
    user_id = target.user_id
    db = ctx.db
    for model in (Contact, Company, Deal):
        await db.execute(update(model).where(model.owner_id == user_id).values(owner_id=None))
    await db.execute(update(Activity).where(Activity.author_id == user_id).values(author_id=None))
    await db.delete(target)  # its sessions go with it (ON DELETE CASCADE)
    await db.flush()
    return encode_id("Member", user_id)
