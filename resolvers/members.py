"""Members of a tenant: listing them with their decrypted account data, inviting,
changing roles and removing (admin-only operations; the last owner can be neither
removed nor demoted, and only owners grant ownership).

Inviting never looks at, adds or shows an existing account (issue 8): it records an
invitation and mails the person a single-use link; the answer is the same whether or
not the address has an account anywhere. The person accepts with `acceptInvitation`
(`auth.invitations`): as the existing account's holder (signed in as it, or giving its
password), or by creating the account (password, 18+ date of birth of which only the
year is kept, the privacy policy). Only then is the membership created.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlmodel import col

from auth.accounts import release_member_records
from auth.invitations import (
    INVITATION_TTL,
    Acceptance,
    new_invitation_token,
    token_tenant,
)
from auth.invitations import accept_invitation as auth_accept_invitation
from auth.permissions import Role
from auth.throttle import limit_auth
from core import mail
from core.context import RequestContext
from core.errors import AppError, Code, forbidden, not_found
from core.mail import send_after_commit
from models import Invitation, Membership, Tenant, User
from models.base import utcnow
from resolvers import validation
from resolvers.accounts import TenantRow
from resolvers.global_ids import encode_id, try_decode
from resolvers.rows import MemberRow


async def members_by_user(
    ctx: RequestContext, user_ids: list[uuid.UUID]
) -> dict[uuid.UUID, MemberRow]:
    result = await ctx.db.execute(
        select(*MemberRow.COLUMNS, col(User.email_enc), col(User.display_name))
        .join(User, col(User.id) == Membership.user_id)
        .where(col(Membership.user_id).in_(user_ids))
    )
    cipher = await ctx.services.keyring.platform_cipher(ctx.services.db)
    out = {}
    for values in result:
        row = MemberRow.from_tuple(values[: len(MemberRow.NAMES)])
        row.email = cipher.decrypt(values[-2])
        row.display_name = values[-1]
        out[row.user_id] = row
    return out


async def list_members(ctx: RequestContext) -> list[MemberRow]:
    result = await ctx.db.execute(select(col(Membership.user_id)))
    ids = [r[0] for r in result]
    found = await members_by_user(ctx, ids)
    return sorted(found.values(), key=lambda m: m.created_at)


def _member_missing() -> AppError:
    return AppError(Code.NOT_FOUND, "No member with this id.", field="member")


async def _membership(ctx: RequestContext, member: str) -> Membership:
    user_id = try_decode(member, "Member")
    found = None
    if user_id is not None:
        found = (
            await ctx.db.execute(select(Membership).where(col(Membership.user_id) == user_id))
        ).scalar_one_or_none()
    if found is None:
        raise _member_missing()
    return found


async def _owner_count(ctx: RequestContext) -> int:
    return (
        await ctx.db.execute(
            select(func.count(col(Membership.id))).where(col(Membership.role) == Role.OWNER.value)
        )
    ).scalar_one()


def _require_owner_for(ctx: RequestContext, *roles: Role) -> None:
    """Only an owner may grant, take away or remove the owner role."""
    if Role.OWNER in roles and ctx.require_principal().role is not Role.OWNER:
        raise forbidden("grant or remove the owner role")


async def _member_row(ctx: RequestContext, user_id: uuid.UUID) -> MemberRow:
    return (await members_by_user(ctx, [user_id]))[user_id]


# --- invitations -------------------------------------------------------------------


class InvitationStatus(enum.Enum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    EXPIRED = "expired"


@dataclass
class InvitationRow:
    """What the inviter sees: only what they gave, never an existing account's data."""

    id: uuid.UUID
    email: str | None
    display_name: str | None
    role: Role
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None
    subject_state: Any = None
    subject_id: Any = None

    @property
    def gid(self) -> str:
        return encode_id("Invitation", self.id)

    @property
    def status(self) -> InvitationStatus:
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if self.expires_at <= utcnow():
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING


def _invitation_row(ctx: RequestContext, found: Invitation) -> InvitationRow:
    return InvitationRow(
        id=found.id,
        email=ctx.require_cipher().decrypt(found.email_enc),
        display_name=found.display_name,
        role=Role(found.role),
        created_at=found.created_at,
        expires_at=found.expires_at,
        accepted_at=found.accepted_at,
        revoked_at=found.revoked_at,
    )


async def invite_member(
    ctx: RequestContext, email: str, role: Role, display_name: str | None
) -> InvitationRow:
    """Record an invitation and mail its single-use link (after the commit).

    The same work and the same answer whether or not the address has an account in
    any tenant: no account is read. A current member of this tenant (whom the inviter
    can list anyway) is a conflict; a pending invitation to the same address is revoked
    so only the newest link works."""
    principal = ctx.require_principal()
    _require_owner_for(ctx, role)
    address = validation.email(email)
    assert address is not None
    name = validation.text(display_name, "displayName", 200)
    services = ctx.services
    platform = await services.keyring.platform_cipher(services.db)
    session = ctx.db
    member = (
        await session.execute(
            select(col(Membership.id))
            .join(User, col(User.id) == Membership.user_id)
            .where(col(User.email_bidx) == platform.blind_index(address))
        )
    ).first()
    if member is not None:
        raise AppError(Code.CONFLICT, "This person is already a member.", field="email")
    now = utcnow()
    bidx = ctx.require_cipher().blind_index(address)
    await session.execute(
        update(Invitation)
        .where(
            col(Invitation.email_bidx) == bidx,
            col(Invitation.accepted_at).is_(None),
            col(Invitation.revoked_at).is_(None),
        )
        .values(revoked_at=now, updated_at=now)
    )
    token, token_hash = new_invitation_token(ctx.tenant_id)
    invitation = Invitation(
        tenant_id=ctx.tenant_id,
        email_enc=ctx.require_cipher().encrypt(address),
        email_bidx=bidx,
        role=role.value,
        display_name=name,
        token_hash=token_hash,
        invited_by=principal.user_id,
        expires_at=now + INVITATION_TTL,
    )
    session.add(invitation)
    await session.flush()
    organisation = (
        await session.execute(select(col(Tenant.name)).where(col(Tenant.id) == ctx.tenant_id))
    ).scalar_one()
    link = f"{services.settings.app_url}/accept-invitation#token={token}"
    send_after_commit(
        session,
        services,
        mail.invitation(
            to=address,
            display_name=name,
            organisation=organisation,
            link=link,
            expires_at=invitation.expires_at,
        ),
    )
    return _invitation_row(ctx, invitation)


async def list_invitations(ctx: RequestContext) -> list[InvitationRow]:
    """Every invitation of the tenant, newest first, with its status."""
    found = (
        await ctx.db.execute(select(Invitation).order_by(col(Invitation.created_at).desc()))
    ).scalars()
    return [_invitation_row(ctx, row) for row in found]


async def revoke_invitation(ctx: RequestContext, invitation: str) -> InvitationRow:
    """Its link stops working. Only owners revoke an invitation to the owner role; an
    accepted one is a membership now (removeMember), a revoked one stays revoked."""
    wanted = try_decode(invitation, "Invitation")
    found = None
    if wanted is not None:
        found = (
            await ctx.db.execute(select(Invitation).where(col(Invitation.id) == wanted))
        ).scalar_one_or_none()
    if found is None:
        raise not_found("invitation")
    _require_owner_for(ctx, Role(found.role))
    if found.accepted_at is not None:
        raise AppError(
            Code.CONFLICT,
            "This invitation was accepted; remove the member instead.",
            field="invitation",
        )
    if found.revoked_at is None:
        found.revoked_at = found.updated_at = utcnow()
        await ctx.db.flush()
    return _invitation_row(ctx, found)


@dataclass
class AcceptInvitationData:
    token: str
    password: str | None = None
    display_name: str | None = None
    date_of_birth: date | None = None
    accept_privacy_policy: bool = False


@dataclass
class Accepted:
    tenant: TenantRow
    role: Role


async def accept_invitation(ctx: RequestContext, data: AcceptInvitationData) -> Accepted:
    """Accept with the single-use token from the mail (`auth.invitations`): rate limited;
    a malformed token is INVITATION_INVALID before the input is looked at. The request's
    principal is unchanged (sign in with logIn or switchTenant to act in the tenant)."""
    await limit_auth(ctx.services, ctx.client_ip)
    tenant_id = token_tenant(data.token)
    acceptance = Acceptance(
        token=data.token,
        password=data.password,
        display_name=validation.text(data.display_name, "displayName", 200),
        date_of_birth=data.date_of_birth,
        accept_privacy_policy=data.accept_privacy_policy,
    )
    principal = ctx.principal
    joined = await auth_accept_invitation(
        ctx.services,
        acceptance,
        tenant_id=tenant_id,
        signed_in_as=principal.user_id if principal is not None else None,
    )
    return Accepted(TenantRow.of(joined.tenant), joined.role)


# --- roles and removal -------------------------------------------------------------


async def change_role(ctx: RequestContext, member: str, role: Role) -> MemberRow:
    target = await _membership(ctx, member)
    current = Role(target.role)
    _require_owner_for(ctx, current, role)
    if current is Role.OWNER and role is not Role.OWNER and await _owner_count(ctx) <= 1:
        raise AppError(Code.LAST_OWNER, "A tenant keeps at least one owner.", field="member")
    target.role = role.value
    target.updated_at = utcnow()
    await ctx.db.flush()
    return await _member_row(ctx, target.user_id)


async def remove_member(ctx: RequestContext, member: str) -> str:
    """Their records stay, without an owner or author; their sessions in this tenant
    end (deleted with the membership)."""
    target = await _membership(ctx, member)
    current = Role(target.role)
    _require_owner_for(ctx, current)
    if current is Role.OWNER and await _owner_count(ctx) <= 1:
        raise AppError(Code.LAST_OWNER, "A tenant keeps at least one owner.", field="member")
    user_id = target.user_id
    db = ctx.db
    await release_member_records(db, user_id)
    await db.delete(target)  # its sessions go with it (ON DELETE CASCADE)
    await db.flush()
    return encode_id("Member", user_id)
