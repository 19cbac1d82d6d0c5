"""Signing in: the credential check, the sessions and tokens a sign-in issues, refresh
rotation with reuse detection, switching tenant and logging out (policy section 8).

No GraphQL here: the resolvers decode ids, set the cookies these functions open a
session for, and show the account. A sign-in never changes the principal of the
request that made it: `Credentials.principal` is the account holder, for the payload.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select, update
from sqlmodel import col

from auth.accounts import AccountMembership, is_suspended, membership_in, memberships_of
from auth.passwords import hash_password, needs_rehash, verify_password
from auth.permissions import Role
from auth.principal import Principal
from auth.sessions import hash_secret, issue_access_token, open_session, revoke_session
from auth.throttle import limit_auth, rate_limited
from core.errors import AppError, Code, not_found
from core.ratelimit import RateLimitExceeded
from core.services import Services
from models import AuthSession, User
from models.base import utcnow

INVALID_CREDENTIALS_MESSAGE = "The email or password is not correct."


def invalid_credentials() -> AppError:
    return AppError(Code.INVALID_CREDENTIALS, INVALID_CREDENTIALS_MESSAGE)


def account_suspended() -> AppError:
    return AppError(
        Code.ACCOUNT_SUSPENDED,
        "This account is suspended while a report that its holder is under 18 is resolved.",
    )


def invalid_refresh() -> AppError:
    return AppError(Code.UNAUTHENTICATED, "This refresh token is not valid. Sign in again.")


@dataclass(frozen=True)
class Credentials:
    """What a sign-in issues: an access token and a refresh token for API clients, the
    secret of a cookie session for browsers (None when none was opened), and the
    account holder they act as (never the request's own principal)."""

    principal: Principal
    access_token: str
    refresh_token: str
    expires_in: int
    cookie_secret: str | None


async def issue_credentials(
    services: Services,
    *,
    user_id: uuid.UUID,
    tenant_id: uuid.UUID,
    role: Role,
    cookie: bool,
) -> Credentials:
    """A refresh session and its access token, plus a cookie session when `cookie`."""
    refresh_session = await open_session(services, user_id, tenant_id, "refresh")
    principal = Principal.for_role(user_id, tenant_id, role, "bearer", refresh_session.session_id)
    access = issue_access_token(services, principal)
    browser = await open_session(services, user_id, tenant_id, "cookie") if cookie else None
    return Credentials(
        principal=principal,
        access_token=access,
        refresh_token=refresh_session.secret,
        expires_in=services.tokens.ttl_s,
        cookie_secret=browser.secret if browser is not None else None,
    )


# --- log-in ------------------------------------------------------------------------


class TenantChoice(enum.Enum):
    OLDEST = "oldest"


OLDEST = TenantChoice.OLDEST
"""Sign in to the user's oldest membership (no tenant asked for)."""

WantedTenant = uuid.UUID | None | Literal[TenantChoice.OLDEST]
"""OLDEST, a tenant id, or None for an id that names no tenant (NOT_FOUND, like a
tenant the user does not belong to, once the credentials are checked)."""


async def check_credentials(
    services: Services, *, email: str, password: str, client_ip: str | None
) -> tuple[uuid.UUID, list[AccountMembership]]:
    """The user and their memberships, oldest first. Unknown email and wrong password:
    same code, same message, same work (the dummy hash), same backoff."""
    ip = client_ip or "unknown"
    await limit_auth(services, client_ip)
    backoff = services.extras.get("login_backoff")
    if backoff is not None:
        try:
            await backoff.check(email, ip)
        except RateLimitExceeded as exc:
            raise rate_limited(exc) from exc
    cipher = await services.keyring.platform_cipher(services.db)
    async with services.db.session(None) as session:
        user = (
            await session.execute(
                select(User).where(col(User.email_bidx) == cipher.blind_index(email))
            )
        ).scalar_one_or_none()
    ok = verify_password(user.password_hash if user else None, password)
    memberships = await memberships_of(services, user.id) if ok and user else []
    if ok and user is not None and not memberships and await is_suspended(services, user.id):
        raise account_suspended()  # the password was right: nothing is enumerated
    if not ok or user is None or not memberships:
        if backoff is not None:
            await backoff.record_failure(email, ip)
        raise invalid_credentials()
    if backoff is not None:
        await backoff.record_success(email, ip)
    return user.id, memberships


async def _record_log_in(services: Services, user_id: uuid.UUID, password: str) -> None:
    """The time of the sign-in, and the password rehashed if its parameters are old."""
    async with services.db.session(None) as session:
        row = await session.get(User, user_id)
        assert row is not None
        row.last_login_at = utcnow()
        if needs_rehash(row.password_hash):
            row.password_hash = hash_password(password)
        await session.commit()


async def log_in(
    services: Services,
    *,
    email: str,
    password: str,
    client_ip: str | None,
    tenant: WantedTenant,
    cookie: bool,
) -> Credentials:
    user_id, memberships = await check_credentials(
        services, email=email, password=password, client_ip=client_ip
    )
    chosen = memberships[0] if tenant is OLDEST else membership_in(memberships, tenant)
    if chosen is None:
        raise not_found("tenant")
    await _record_log_in(services, user_id, password)
    return await issue_credentials(
        services, user_id=user_id, tenant_id=chosen.tenant.id, role=chosen.role, cookie=cookie
    )


# --- refresh -----------------------------------------------------------------------


async def _revoke_refresh_family(
    services: Services, user_id: uuid.UUID, tenant_id: uuid.UUID
) -> None:
    async with services.db.session(None, user_id=user_id) as session:
        await session.execute(
            update(AuthSession)
            .where(
                col(AuthSession.user_id) == user_id,
                col(AuthSession.tenant_id) == tenant_id,
                col(AuthSession.kind) == "refresh",
                col(AuthSession.revoked_at).is_(None),
            )
            .values(revoked_at=utcnow())
        )
        await session.commit()


async def refresh(services: Services, refresh_token: str) -> Credentials:
    """Rotate: the presented refresh session is revoked and a new one opened. A spent
    (revoked) token presented again is reuse: every refresh session of that user in
    that tenant is revoked. No cookie session is opened."""
    async with services.db.session(None, session_hash=hash_secret(refresh_token)) as session:
        found = (
            await session.execute(
                select(
                    col(AuthSession.id),
                    col(AuthSession.user_id),
                    col(AuthSession.tenant_id),
                    col(AuthSession.expires_at),
                    col(AuthSession.revoked_at),
                ).where(
                    col(AuthSession.secret_hash) == hash_secret(refresh_token),
                    col(AuthSession.kind) == "refresh",
                )
            )
        ).first()
    if found is None:
        raise invalid_refresh()
    session_id, user_id, tenant_id, expires_at, revoked_at = found
    if revoked_at is not None:
        await _revoke_refresh_family(services, user_id, tenant_id)
        raise invalid_refresh()
    if expires_at <= utcnow():
        raise invalid_refresh()
    async with services.db.session(None, user_id=user_id) as session:
        spent = await session.execute(
            update(AuthSession)
            .where(col(AuthSession.id) == session_id, col(AuthSession.revoked_at).is_(None))
            .values(revoked_at=utcnow())
        )
        await session.commit()
    if spent.rowcount != 1:  # type: ignore[attr-defined]  # a concurrent use won the race
        await _revoke_refresh_family(services, user_id, tenant_id)
        raise invalid_refresh()
    current = membership_in(await memberships_of(services, user_id), tenant_id)
    if current is None:
        raise invalid_refresh()
    return await issue_credentials(
        services, user_id=user_id, tenant_id=tenant_id, role=current.role, cookie=False
    )


# --- tenant switch and log-out -----------------------------------------------------


async def switch_tenant(
    services: Services, principal: Principal, *, tenant_id: uuid.UUID | None, browser: bool
) -> Credentials:
    """Another of the principal's tenants; a foreign or unknown id (None) is the same
    NOT_FOUND. A cookie session is replaced by one in the new tenant (when `browser`)."""
    chosen = membership_in(await memberships_of(services, principal.user_id), tenant_id)
    if chosen is None:
        raise not_found("tenant")
    cookie = principal.auth_method == "cookie"
    if cookie and principal.session_id is not None:
        await revoke_session(services, principal.session_id, principal.user_id)
    return await issue_credentials(
        services,
        user_id=principal.user_id,
        tenant_id=chosen.tenant.id,
        role=chosen.role,
        cookie=cookie and browser,
    )


async def log_out(services: Services, principal: Principal | None) -> bool:
    """Revoke the current session (cookie session or refresh family); False when the
    request had no principal."""
    if principal is not None and principal.session_id is not None:
        await revoke_session(services, principal.session_id, principal.user_id)
    return principal is not None
