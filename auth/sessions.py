"""Sessions: browser cookies and API refresh tokens, and turning either (or a bearer
access token) into the request's Principal.

Policy section 8: secrets are random 256-bit values of which only a SHA-256 is stored;
access tokens are short-lived; the role is read from the membership on every request,
so a changed role or a removed member takes effect at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from auth.oauth.claims import AppCredential
from auth.permissions import Role
from auth.principal import Principal
from auth.tokens import AccessClaims, InvalidTokenError, TokenExpiredError
from core.services import Services
from models import AuthSession, Membership
from models.base import utcnow
from models.db import BearerCheck, CookieCheck, enter_scope, folded_check
from privacy.purposes import Purpose

SESSION_COOKIE = "ll_session"
CSRF_COOKIE = "ll_csrf"
CSRF_HEADER = "x-csrf-token"
PURPOSE_HEADER = "x-ledgerline-purpose"
"""The purpose a request declares (a `Purpose` value); absent: the role's default."""


class AuthenticationError(Exception):
    """Credentials were presented but are not valid (expired, revoked, forged)."""

    expired: bool = False
    """True for a genuine bearer token past its expiry (and nothing else wrong)."""


class CredentialExpiredError(AuthenticationError):
    expired = True


def hash_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def csrf_token_for(session_secret: str) -> str:
    """Double-submit token bound to the session, so a planted cookie cannot match."""
    mac = hmac.new(hash_secret(session_secret), b"ledgerline-csrf", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def csrf_valid(session_secret: str, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(csrf_token_for(session_secret), presented)


@dataclass(frozen=True)
class IssuedSession:
    secret: str
    session_id: uuid.UUID


async def open_session(
    services: Services, user_id: uuid.UUID, tenant_id: uuid.UUID, kind: str
) -> IssuedSession:
    """A cookie session or a refresh-token family, stored as a hash of its secret."""
    secret = secrets.token_urlsafe(32)
    ttl = (
        services.settings.session_ttl_s
        if kind == "cookie"
        else services.settings.refresh_token_ttl_s
    )
    row = AuthSession(
        kind=kind,
        secret_hash=hash_secret(secret),
        user_id=user_id,
        tenant_id=tenant_id,
        expires_at=utcnow() + timedelta(seconds=ttl),
    )
    async with services.db.session(tenant_id, user_id=user_id) as session:
        session.add(row)
        await session.commit()
    return IssuedSession(secret, row.id)


async def revoke_session(services: Services, session_id: uuid.UUID, user_id: uuid.UUID) -> None:
    async with services.db.session(None, user_id=user_id) as session:
        row = await session.get(AuthSession, session_id)
        if row is not None and row.revoked_at is None:
            row.revoked_at = utcnow()
            await session.commit()


@dataclass(frozen=True)
class BearerClaims(AccessClaims):
    """A verified token as presented in one request, with the purpose that request
    declares (None: the role's default)."""

    purpose: Purpose | None = None


def verify_bearer(services: Services, token: str, purpose: Purpose | None = None) -> BearerClaims:
    """The signature and claims only; the membership and session are checked by
    `principal_for_claims`, inside the request's own transaction."""
    try:
        claims = services.tokens.verify(token)
    except TokenExpiredError as exc:
        raise CredentialExpiredError("expired token") from exc
    except InvalidTokenError as exc:
        raise AuthenticationError("invalid token") from exc
    return BearerClaims(**vars(claims), purpose=purpose)


async def _bearer_check(session: AsyncSession, claims: AccessClaims) -> BearerCheck | None:
    """The membership's current role and the session's revocation, read in this
    transaction: on PostgreSQL by its first statement, with the tenant scope
    (models/db.py, no round trip of its own); elsewhere by one statement."""
    folded, check = await folded_check(session)
    if folded:
        return check if isinstance(check, BearerCheck) else None
    row = (
        await session.execute(
            select(col(Membership.role), col(AuthSession.revoked_at))
            .join(AuthSession, col(AuthSession.user_id) == Membership.user_id)
            .where(
                col(Membership.user_id) == claims.user_id,
                col(Membership.minor_suspended_at).is_(None),
                col(AuthSession.id) == claims.session_id,
                col(AuthSession.tenant_id) == claims.tenant_id,
            )
        )
    ).first()
    return None if row is None else BearerCheck(row.role, row.revoked_at is not None)


async def principal_for_claims(session: AsyncSession, claims: AccessClaims) -> Principal:
    """The membership's current role and the session's revocation, read inside the
    request's transaction, so a changed role, a revoked session or a suspension (a
    member reported as under 18, privacy/minors.py) counts from the very next request
    (a remembered token, auth/tokens.py, changes nothing here). The principal acts
    under the purpose the request declared (`BearerClaims.purpose`) or the role's
    default; PurposeNotAllowed if the current role may not act under it."""
    check = await _bearer_check(session, claims)
    if check is None:
        raise AuthenticationError("membership or session no longer exists")
    if check.revoked:
        raise AuthenticationError("session revoked")
    role = Role(check.role)
    purpose = getattr(claims, "purpose", None)
    return Principal.for_role(
        claims.user_id, claims.tenant_id, role, "bearer", claims.session_id, purpose=purpose
    )


@dataclass(frozen=True)
class CookieCredential:
    """A browser's session cookie (its CSRF token already checked), with the purpose
    the request declares."""

    secret: str
    purpose: Purpose | None = None

    @property
    def secret_hash(self) -> bytes:
        return hash_secret(self.secret)


Credential = BearerClaims | CookieCredential | AppCredential


async def _principal_for_cookie(
    session: AsyncSession, cookie: CookieCredential
) -> Principal | None:
    """The cookie's live session and its member's current role; None for a cookie that
    expired, was revoked or lost its membership (like no cookie: log-in replaces it)."""
    check = await _cookie_check(session, cookie)
    if check is None:
        return None
    return Principal.for_role(
        check.user_id, check.tenant_id, Role(check.role), "cookie", check.session_id,
        purpose=cookie.purpose,
    )  # fmt: skip


async def _cookie_check(session: AsyncSession, cookie: CookieCredential) -> CookieCheck | None:
    """On PostgreSQL the transaction's first statement (models/db.py). Elsewhere: the
    session row (visible to its secret's holder only), then, in the scope of its user
    and tenant, the membership's role."""
    folded, check = await folded_check(session)
    if folded:
        return check if isinstance(check, CookieCheck) else None
    row = (
        await session.execute(
            select(col(AuthSession.id), col(AuthSession.user_id), col(AuthSession.tenant_id)).where(
                col(AuthSession.secret_hash) == cookie.secret_hash,
                col(AuthSession.kind) == "cookie",
                col(AuthSession.revoked_at).is_(None),
                col(AuthSession.expires_at) > utcnow(),
            )
        )
    ).first()
    if row is None:
        return None
    await enter_scope(session, row.tenant_id, row.user_id)
    role = (
        await session.execute(
            select(col(Membership.role)).where(
                col(Membership.user_id) == row.user_id,
                col(Membership.minor_suspended_at).is_(None),
            )
        )
    ).scalar_one_or_none()
    return None if role is None else CookieCheck(row.id, row.user_id, row.tenant_id, role)


async def resolve_principal(session: AsyncSession, credential: Credential) -> Principal | None:
    """The one place a credential becomes the request's principal, inside the
    operation's own transaction, for cookies and bearer tokens alike: the current role
    and the session's revocation count from the very next request."""
    if isinstance(credential, CookieCredential):
        return await _principal_for_cookie(session, credential)
    if isinstance(credential, AppCredential):  # a partner app's token (issue 12)
        from auth.oauth.resource import principal_for_app

        return await principal_for_app(session, credential)
    return await principal_for_claims(session, credential)


def credential_scope(credential: Credential | None) -> dict[str, Any]:
    """How the operation's session must be opened to resolve `credential` in it."""
    if isinstance(credential, CookieCredential):
        return {"tenant_id": None, "session_hash": credential.secret_hash, "cookie_session": True}
    if isinstance(credential, BearerClaims):
        return {
            "tenant_id": credential.tenant_id,
            "user_id": credential.user_id,
            "bearer_session": credential.session_id,
        }
    if credential is not None:
        return {"tenant_id": credential.tenant_id, "user_id": credential.user_id}
    return {"tenant_id": None}


async def principal_from_bearer(
    services: Services, token: str, purpose: Purpose | None = None
) -> Principal:
    claims = verify_bearer(services, token, purpose)
    async with services.db.session(**credential_scope(claims)) as session:
        return await principal_for_claims(session, claims)


async def principal_from_cookie(
    services: Services, secret: str, purpose: Purpose | None = None
) -> Principal:
    """`resolve_principal` for a cookie in a transaction of its own (tests, tools)."""
    cookie = CookieCredential(secret, purpose)
    async with services.db.session(**credential_scope(cookie)) as session:
        principal = await resolve_principal(session, cookie)
    if principal is None:
        raise AuthenticationError("session expired or membership gone")
    return principal


def issue_access_token(services: Services, principal: Principal) -> str:
    assert principal.session_id is not None
    return services.tokens.issue(
        AccessClaims(
            user_id=principal.user_id,
            tenant_id=principal.tenant_id,
            session_id=principal.session_id,
            role=principal.role.value,
        )
    )
