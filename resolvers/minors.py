"""Minors (policy section 10): reporting a contact or a member as under 18, deleting a
minor's data at once, and resolving a member's report. The rules are privacy/minors.py;
here are the loading, the refusals and the audit."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlmodel import col

from core.context import RequestContext
from core.errors import AppError, Code, bad_input
from models import Contact, Membership
from models.base import utcnow
from privacy import minors
from resolvers.contacts import load_contact_model, reload_contact
from resolvers.erasure import erase
from resolvers.members import members_by_user
from resolvers.references import member_user_id
from resolvers.rows import ContactRow, MemberRow


async def _flag(ctx: RequestContext, contact: Contact) -> None:
    """Flag (keeping an earlier flag's time) and audit the report."""
    if contact.erased_at is None and contact.minor_flagged_at is None:
        contact.minor_flagged_at = utcnow()
        await ctx.db.flush()
    minors.minor_flagged(ctx.audit, contact_id=contact.id, source="report")


async def report_minor(ctx: RequestContext, contact_gid: str) -> ContactRow:
    contact = await load_contact_model(ctx, contact_gid)
    await _flag(ctx, contact)
    return await reload_contact(ctx, contact.id)


async def delete_minor_data(ctx: RequestContext, contact_gid: str) -> ContactRow:
    """Flag if not yet flagged, then erase now (LEGAL_HOLD under a hold: nothing changes)."""
    contact = await load_contact_model(ctx, contact_gid)
    if contact.minor_flagged_at is None and contact.erased_at is None:
        await _flag(ctx, contact)
    erased = await erase(ctx, contact, minors.DELETION_REASON)
    if erased.performed:
        minors.minor_data_deleted(
            ctx.audit, contact_id=contact.id, erasure_id=erased.record.id, by="admin"
        )
    return await reload_contact(ctx, contact.id)


async def _member(ctx: RequestContext, member_gid: str) -> uuid.UUID:
    user_id = await member_user_id(ctx, member_gid, "user")
    assert user_id is not None
    return user_id


async def _suspension(ctx: RequestContext, user_id: uuid.UUID) -> Membership:
    return (
        await ctx.db.execute(select(Membership).where(col(Membership.user_id) == user_id))
    ).scalar_one()


async def report_minor_account(ctx: RequestContext, member_gid: str) -> MemberRow:
    """Suspend the member in this tenant until `resolve_minor_report`."""
    user_id = await _member(ctx, member_gid)
    if user_id == ctx.require_principal().user_id:
        raise bad_input("You cannot report your own account.", "user")
    await ctx.db.execute(
        update(Membership)
        .where(col(Membership.user_id) == user_id, col(Membership.minor_suspended_at).is_(None))
        .values(minor_suspended_at=utcnow())
    )
    minors.minor_account_reported(ctx.audit, user_id=user_id)
    return (await members_by_user(ctx, [user_id]))[user_id]


async def resolve_minor_report(ctx: RequestContext, member_gid: str) -> MemberRow:
    """The admin has established the member is an adult: the suspension ends. (A member
    who is a minor is removed with removeMember instead.)"""
    user_id = await _member(ctx, member_gid)
    membership = await _suspension(ctx, user_id)
    if membership.minor_suspended_at is None:
        raise AppError(Code.CONFLICT, "This member has no open report.", field="user")
    membership.minor_suspended_at = None
    membership.updated_at = utcnow()
    await ctx.db.flush()
    minors.minor_report_resolved(ctx.audit, user_id=user_id)
    return (await members_by_user(ctx, [user_id]))[user_id]
