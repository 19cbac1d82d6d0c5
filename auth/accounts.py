"""Account services: creating tenants with their owner, users, memberships, and
reading a user's memberships.

Used by sign-in, sign-up, invitations and the demo seed; the GraphQL mutations wrap these.
Policy sections 2.1 (account information), 10 (18+) and 12 (policy acknowledgement).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from auth.passwords import hash_password
from auth.permissions import Role
from core.services import Services
from models import (
    Activity,
    Company,
    Contact,
    Deal,
    Membership,
    PolicyAcceptance,
    PolicyVersion,
    Tenant,
    User,
)
from models.apps import OAuthGrant
from models.base import utcnow
from models.db import enter_tenant

CURRENT_POLICY_VERSION = "2026-11-01"
MINIMUM_AGE = 18


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def is_adult(born: date, today: date | None = None) -> bool:
    return age_on(born, today or date.today()) >= MINIMUM_AGE


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:60] or "tenant"


@dataclass(frozen=True)
class AccountTenant:
    """A tenant as its members see it."""

    id: uuid.UUID
    name: str
    slug: str
    region: str


@dataclass(frozen=True)
class AccountMembership:
    tenant: AccountTenant
    role: Role
    created_at: datetime


async def memberships_of(services: Services, user_id: uuid.UUID) -> list[AccountMembership]:
    """The user's memberships, oldest first (a session scoped to the user), except those
    suspended while a report that the user is under 18 is resolved (section 10)."""
    async with services.db.session(None, user_scope=user_id) as session:
        result = await session.execute(
            select(
                col(Membership.role),
                col(Membership.created_at),
                col(Tenant.id),
                col(Tenant.name),
                col(Tenant.slug),
                col(Tenant.region),
            )
            .join(Tenant, col(Tenant.id) == Membership.tenant_id)
            .where(col(Membership.user_id) == user_id, col(Membership.minor_suspended_at).is_(None))
            .order_by(col(Membership.created_at), col(Tenant.id))
        )
        return [
            AccountMembership(AccountTenant(tid, name, slug, region), Role(role), created)
            for role, created, tid, name, slug, region in result
        ]


def membership_in(
    memberships: list[AccountMembership], tenant_id: uuid.UUID | None
) -> AccountMembership | None:
    return next((m for m in memberships if m.tenant.id == tenant_id), None)


async def is_suspended(services: Services, user_id: uuid.UUID) -> bool:
    """Whether some membership of the user is suspended as reported under 18."""
    async with services.db.session(None, user_scope=user_id) as session:
        found = await session.execute(
            select(col(Membership.id)).where(
                col(Membership.user_id) == user_id,
                col(Membership.minor_suspended_at).is_not(None),
            )
        )
        return found.first() is not None


@dataclass(frozen=True)
class CreatedAccount:
    tenant_id: uuid.UUID
    user_id: uuid.UUID


POLICY_TEXT = Path(__file__).resolve().parent.parent / "docs" / "privacy-policy.txt"
POLICY_SHA256 = hashlib.sha256(
    POLICY_TEXT.read_bytes() if POLICY_TEXT.exists() else b""
).hexdigest()


async def ensure_policy_version(
    session: AsyncSession, version: str = CURRENT_POLICY_VERSION
) -> None:
    existing = await session.get(PolicyVersion, version)
    if existing is None:
        digest = POLICY_SHA256
        session.add(PolicyVersion(version=version, published_at=utcnow(), text_sha256=digest))
        await session.flush()


async def find_user_id_by_email(services: Services, email: str) -> uuid.UUID | None:
    cipher = await services.keyring.platform_cipher(services.db)
    async with services.db.session(None) as session:
        return (
            await session.execute(
                select(col(User.id)).where(col(User.email_bidx) == cipher.blind_index(email))
            )
        ).scalar_one_or_none()


async def create_user(
    services: Services, session: AsyncSession, email: str, display_name: str, password: str,
    birth_year: int, policy_version: str = CURRENT_POLICY_VERSION,
) -> User:  # fmt: skip
    cipher = await services.keyring.platform_cipher(services.db)
    await ensure_policy_version(session, policy_version)
    email_enc, email_bidx = cipher.encrypt(email), cipher.blind_index(email)
    assert email_enc is not None and email_bidx is not None
    user = User(
        email_enc=email_enc,
        email_bidx=email_bidx,
        display_name=display_name,
        password_hash=hash_password(password),
        birth_year=birth_year,
        policy_version=policy_version,
    )
    session.add(user)
    await session.flush()
    session.add(PolicyAcceptance(user_id=user.id, version=policy_version, method="signup_checkbox"))
    return user


async def create_tenant(
    services: Services, session: AsyncSession, name: str, region: str, slug: str | None = None
) -> Tenant:
    base = slug or slugify(name)
    candidate = base
    while (
        await session.execute(select(col(Tenant.id)).where(col(Tenant.slug) == candidate))
    ).first() is not None:
        candidate = f"{base}-{uuid.uuid4().hex[:6]}"
    tenant = Tenant(name=name, slug=candidate, region=region)
    session.add(tenant)
    await session.flush()
    await enter_tenant(session, tenant.id)
    await services.keyring.create(session, tenant.id)
    return tenant


async def add_membership(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, role: Role
) -> None:
    session.add(Membership(tenant_id=tenant_id, user_id=user_id, role=role.value))
    await session.flush()


async def release_member_records(session: AsyncSession, user_id: uuid.UUID) -> None:
    """The records a member owns or wrote stay, without an owner or author (a member
    removed from the tenant, or an account deleted), in the session's tenant."""
    for model in (Contact, Company, Deal):
        await session.execute(
            update(model).where(col(model.owner_id) == user_id).values(owner_id=None)
        )
    await session.execute(
        update(Activity).where(col(Activity.author_id) == user_id).values(author_id=None)
    )


async def revoke_app_grants(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Every partner-app grant acting for the user, in the session's tenant, revoked:
    their access and refresh tokens stop working (a password reset, a deleted account)."""
    await session.execute(
        update(OAuthGrant)
        .where(col(OAuthGrant.user_id) == user_id, col(OAuthGrant.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )


async def bootstrap(services: Services) -> None:
    """Create what every installation needs before the first write transaction: the
    platform data key (account data) and the current policy version."""
    await services.keyring.platform_cipher(services.db)
    async with services.db.session(None) as session:
        await ensure_policy_version(session)
        await session.commit()
