"""Invitations (issue 8): single-use tokens, and accepting one.

A token carries the tenant it belongs to beside 32 random bytes; only its SHA-256 is
stored. Accepting never shows whether an address has an account to anyone but its
holder: the holder proves it (signed in as it, or its password), a person without an
account creates it under sign-up's rules. Only then is the membership created. No
GraphQL here: the resolvers validate the input and show the result.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select, update
from sqlmodel import col

from auth.accounts import AccountTenant, add_membership, create_user
from auth.passwords import verify_password
from auth.permissions import Role
from auth.sign_in import invalid_credentials
from auth.sign_up import check_new_holder
from core import mail
from core.errors import AppError, Code
from core.mail import send_after_commit
from core.services import Services
from models import Invitation, Membership, Tenant, User
from models.base import utcnow

INVITATION_TTL = timedelta(days=7)
INVITATION_INVALID_MESSAGE = (
    "This invitation is no longer valid: it has expired, was revoked or was already "
    "used. Ask for a new invitation."
)


def invitation_invalid() -> AppError:
    return AppError(Code.INVITATION_INVALID, INVITATION_INVALID_MESSAGE, field="token")


def new_invitation_token(tenant_id: uuid.UUID) -> tuple[str, bytes]:
    """A single-use invitation token and the SHA-256 that is stored of it.

    The token carries the tenant it belongs to (the invitee learns nothing they are not
    told in the mail) beside 32 random bytes: accepting it opens a session confined to
    that tenant, so the lookup passes the tenant guard and row-level security like any
    other tenant read.
    """
    raw = tenant_id.bytes + secrets.token_bytes(32)
    token = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return token, hash_invitation_token(token)


def hash_invitation_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def invitation_tenant(token: str) -> uuid.UUID | None:
    """The tenant an invitation token names, or None for anything malformed."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, binascii.Error):
        return None
    return uuid.UUID(bytes=raw[:16]) if len(raw) == 48 else None


def token_tenant(token: str) -> uuid.UUID:
    """The tenant `token` names; INVITATION_INVALID for anything malformed."""
    tenant_id = invitation_tenant(token)
    if tenant_id is None:
        raise invitation_invalid()
    return tenant_id


# --- accepting ---------------------------------------------------------------------


@dataclass(frozen=True)
class Acceptance:
    """An acceptance as given; `display_name` already validated."""

    token: str
    password: str | None = None
    display_name: str | None = None
    date_of_birth: date | None = None
    accept_privacy_policy: bool = False


@dataclass(frozen=True)
class Joined:
    tenant: AccountTenant
    role: Role


async def accept_invitation(
    services: Services,
    data: Acceptance,
    *,
    tenant_id: uuid.UUID,
    signed_in_as: uuid.UUID | None,
) -> Joined:
    """Accept with the single-use token (naming `tenant_id`); the membership is created now.

    An address that has an account: the caller must be signed in as it (`signed_in_as`),
    or give its password. Otherwise the account is created (sign-up's rules). An
    expired, revoked, used or unknown token is one and the same INVITATION_INVALID.
    Nothing is written on any refusal, and no session is opened."""
    platform = await services.keyring.platform_cipher(services.db)
    async with services.db.session(tenant_id) as session:
        found = (
            await session.execute(
                select(Invitation).where(
                    col(Invitation.token_hash) == hash_invitation_token(data.token)
                )
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
                select(col(User.id), col(User.password_hash)).where(
                    col(User.email_bidx) == platform.blind_index(email)
                )
            )
        ).first()
        welcome = None
        if user is not None:
            if signed_in_as != user.id:
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
            password, birth_year = check_new_holder(
                email=email,
                password=data.password,
                date_of_birth=data.date_of_birth,
                accept_privacy_policy=data.accept_privacy_policy,
            )
            display_name = data.display_name or found.display_name or email.split("@", 1)[0]
            created = await create_user(
                services, session, email, display_name, password, birth_year
            )
            created.email_verified_at = now  # the invitation's link reached this address
            user_id = created.id
            welcome = mail.welcome(to=email, display_name=display_name)
        already = (
            await session.execute(
                select(col(Membership.id)).where(col(Membership.user_id) == user_id)
            )
        ).first()
        if already is not None:
            raise AppError(
                Code.CONFLICT, "You are already a member of this organisation.", field="token"
            )
        claimed = await session.execute(
            update(Invitation)
            .where(
                col(Invitation.id) == found.id,
                col(Invitation.accepted_at).is_(None),
                col(Invitation.revoked_at).is_(None),
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
    return Joined(AccountTenant(tenant.id, tenant.name, tenant.slug, tenant.region), role)
