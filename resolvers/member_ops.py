"""Members of a tenant: inviting, changing roles and removing (admin-only operations;
the last owner can be neither removed nor demoted, and only owners grant ownership).

Inviting never looks at, adds or shows an existing account (issue 8): it records an
invitation and mails the person a single-use link; the answer is the same whether or
not the address has an account anywhere. The person accepts with `acceptInvitation`:
as the existing account's holder (signed in as it, or giving its password), or by
creating the account (password, 18+ date of birth of which only the year is kept, the
privacy policy). Only then is the membership created.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update

from auth.accounts import (
    INVITATION_TTL,
    add_membership,
    create_user,
    hash_invitation_token,
    invitation_tenant,
    is_adult,
    new_invitation_token,
)
from auth.passwords import password_problem, verify_password
from auth.permissions import Role
from core import mail
from core.errors import AppError, Code, bad_input, forbidden, not_found
from core.mail import send_after_commit
from models import Activity, Company, Contact, Deal, Invitation, Membership, Tenant, User
from models.base import utcnow
from resolvers import validation
from resolvers.accounts import TenantRow, _limit_auth, invalid_credentials
from resolvers.global_ids import encode_id, try_decode
from resolvers.members import members_by_user
from resolvers.rows import MemberRow

INVITATION_INVALID_MESSAGE = (
    "This invitation is no longer valid: it has expired, was revoked or was already "
    "used. Ask for a new invitation."
)


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


def _invitation_row(ctx: Any, found: Invitation) -> InvitationRow:
    return InvitationRow(
        id=found.id,
        email=ctx.cipher.decrypt(found.email_enc),
        display_name=found.display_name,
        role=Role(found.role),
        created_at=found.created_at,
        expires_at=found.expires_at,
        accepted_at=found.accepted_at,
        revoked_at=found.revoked_at,
    )


def invitation_invalid() -> AppError:
    return AppError(Code.INVITATION_INVALID, INVITATION_INVALID_MESSAGE, field="token")


async def invite_member(
    ctx: Any, email: str, role: Role, display_name: str | None
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
            select(Membership.id)
            .join(User, User.id == Membership.user_id)
            .where(User.email_bidx == platform.blind_index(address))
        )
    ).first()
    if member is not None:
        raise AppError(Code.CONFLICT, "This person is already a member.", field="email")
    now = utcnow()
    bidx = ctx.cipher.blind_index(address)
    await session.execute(
        update(Invitation)
        .where(
            Invitation.email_bidx == bidx,
            Invitation.accepted_at.is_(None),  # type: ignore[union-attr]
            Invitation.revoked_at.is_(None),  # type: ignore[union-attr]
        )
        .values(revoked_at=now, updated_at=now)
    )
    token, token_hash = new_invitation_token(ctx.tenant_id)
    invitation = Invitation(
        tenant_id=ctx.tenant_id,
        email_enc=ctx.cipher.encrypt(address),
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
        await session.execute(select(Tenant.name).where(Tenant.id == ctx.tenant_id))
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


async def list_invitations(ctx: Any) -> list[InvitationRow]:
    """Every invitation of the tenant, newest first, with its status."""
    found = (
        await ctx.db.execute(select(Invitation).order_by(Invitation.created_at.desc()))  # type: ignore[attr-defined]
    ).scalars()
    return [_invitation_row(ctx, row) for row in found]


async def revoke_invitation(ctx: Any, invitation: str) -> InvitationRow:
    """Its link stops working. Only owners revoke an invitation to the owner role; an
    accepted one is a membership now (removeMember), a revoked one stays revoked."""
    wanted = try_decode(invitation, "Invitation")
    found = None
    if wanted is not None:
        found = (
            await ctx.db.execute(select(Invitation).where(Invitation.id == wanted))
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


def _check_new_account(data: AcceptInvitationData, email: str) -> tuple[str, int]:
    """The sign-up rules for a person without an account; refusals before any write."""
    if not data.accept_privacy_policy:
        raise bad_input(
            "You must accept the privacy policy to create an account.", "acceptPrivacyPolicy"
        )
    born = data.date_of_birth
    if born is None:
        raise bad_input("dateOfBirth is required to create an account.", "dateOfBirth")
    if born > date.today() or born.year < 1900:
        raise bad_input("dateOfBirth must be a date in the past.", "dateOfBirth")
    if not is_adult(born):
        raise AppError(
            Code.AGE_REQUIREMENT_NOT_MET,
            "You must be at least 18 years old to use Ledgerline.",
            field="dateOfBirth",
        )
    if data.password is None:
        raise bad_input("Choose a password to create your account.", "password")
    problem = password_problem(data.password, email)
    if problem is not None:
        raise AppError(Code.WEAK_PASSWORD, problem, field="password")
    return data.password, born.year


async def accept_invitation(ctx: Any, data: AcceptInvitationData) -> Accepted:
    """Accept with the single-use token from the mail; the membership is created now.

    An address that has an account: the caller must be signed in as it, or give its
    password. Otherwise the account is created (sign-up's rules). An expired, revoked,
    used or unknown token is one and the same INVITATION_INVALID. Nothing is written on
    any refusal, and the request's principal is unchanged (sign in with logIn or
    switchTenant to act in the tenant)."""
    await _limit_auth(ctx)
    services = ctx.services
    tenant_id = invitation_tenant(data.token)
    if tenant_id is None:
        raise invitation_invalid()
    name = validation.text(data.display_name, "displayName", 200)
    platform = await services.keyring.platform_cipher(services.db)
    async with services.db.session(tenant_id) as session:
        found = (
            await session.execute(
                select(Invitation).where(Invitation.token_hash == hash_invitation_token(data.token))
            )
        ).scalar_one_or_none()
        now = utcnow()
        if (
            found is None
            or found.accepted_at is not None
            or found.revoked_at is not None
            or found.expires_at <= now
        ):
            raise invitation_invalid()
        cipher = await services.keyring.cipher(session, tenant_id)
        email = cipher.decrypt(found.email_enc)
        assert email is not None
        user = (
            await session.execute(
                select(User.id, User.password_hash).where(
                    User.email_bidx == platform.blind_index(email)
                )
            )
        ).first()
        welcome = None
        if user is not None:
            principal = ctx.principal
            if principal is None or principal.user_id != user.id:
                if data.password is None:
                    raise AppError(
                        Code.UNAUTHENTICATED,
                        "This address already has an account: sign in as it, or give "
                        "its password, to accept.",
                        field="password",
                    )
                if not verify_password(user.password_hash, data.password):
                    raise invalid_credentials()
            user_id = user.id
        else:
            password, birth_year = _check_new_account(data, email)
            display_name = name or found.display_name or email.split("@", 1)[0]
            created = await create_user(
                services, session, email, display_name, password, birth_year
            )
            user_id = created.id
            welcome = mail.welcome(to=email, display_name=display_name)
        already = (
            await session.execute(select(Membership.id).where(Membership.user_id == user_id))
        ).first()
        if already is not None:
            raise AppError(
                Code.CONFLICT, "You are already a member of this organisation.", field="token"
            )
        claimed = await session.execute(
            update(Invitation)
            .where(
                Invitation.id == found.id,
                Invitation.accepted_at.is_(None),  # type: ignore[union-attr]
                Invitation.revoked_at.is_(None),  # type: ignore[union-attr]
            )
            .values(accepted_at=now, updated_at=now)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]  # a concurrent use won
            raise invitation_invalid()
        role = Role(found.role)
        await add_membership(session, tenant_id, user_id, role)
        tenant = await session.get(Tenant, tenant_id)
        assert tenant is not None
        if welcome is not None:
            send_after_commit(session, services, welcome)
        await session.commit()
    return Accepted(TenantRow(tenant.id, tenant.name, tenant.slug, tenant.region), role)


# --- roles and removal -------------------------------------------------------------


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
