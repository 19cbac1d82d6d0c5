"""Accounts and sign-in: sign-up, log-in, tokens, tenant switch, log-out, members.

Thin over auth/: the services there create tenants, users and sessions; this module
validates input, keeps the refusals free of side effects and of account enumeration
where it matters (sign-up, log-in), and maps every failure to a stable AppError code.

Sessions used here:
- unauthenticated operations (sign-up, log-in, refresh) never touch `ctx.db` (it has
  no tenant); they open their own short sessions and commit what must survive;
- member management writes through `ctx.db` (tenant-scoped), so a refusal rolls back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from auth.accounts import add_membership, create_tenant, create_user, is_adult
from auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from auth.permissions import Permission, Role
from auth.principal import Principal
from auth.sessions import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    csrf_token_for,
    hash_secret,
    issue_access_token,
    open_session,
    revoke_session,
)
from core import mail
from core.errors import AppError, Code, bad_input, not_found, unauthenticated
from core.mail import mailer, send_after_commit
from core.ratelimit import RateLimitExceeded, enforce
from models import AuthSession, Membership, Tenant, User
from models.base import utcnow
from models.tenancy import DATA_REGIONS
from privacy.decision import RequestPolicy
from privacy.purposes import Purpose
from resolvers import validation
from resolvers.global_ids import encode_id, try_decode

INVALID_CREDENTIALS_MESSAGE = "The email or password is not correct."


# --- errors ------------------------------------------------------------------------


def invalid_credentials() -> AppError:
    return AppError(Code.INVALID_CREDENTIALS, INVALID_CREDENTIALS_MESSAGE)


def rate_limited(exc: RateLimitExceeded) -> AppError:
    return AppError(
        Code.RATE_LIMITED,
        f"Too many attempts. Try again in {exc.retry_after_s} seconds.",
        retryAfter=exc.retry_after_s,
    )


def _invalid_refresh() -> AppError:
    return AppError(Code.UNAUTHENTICATED, "This refresh token is not valid. Sign in again.")


async def _limit_auth(ctx: Any) -> None:
    """The stricter `auth` bucket per client IP (skipped when no limiter is wired)."""
    limiter = ctx.services.extras.get("rate_limiter")
    if limiter is None:
        return
    try:
        await enforce(limiter, "auth", f"ip:{ctx.client_ip or 'unknown'}")
    except RateLimitExceeded as exc:
        raise rate_limited(exc) from exc


# --- read models -------------------------------------------------------------------


@dataclass
class TenantRow:
    id: uuid.UUID
    name: str
    slug: str
    region: str

    @property
    def gid(self) -> str:
        return encode_id("Tenant", self.id)


@dataclass
class MembershipInfo:
    tenant: TenantRow
    role: Role
    created_at: datetime


@dataclass
class MeRow:
    """The caller's own account; no data subject state: account holders' data is
    shown to themselves (the fields are declared with subject_bound=False)."""

    user_id: uuid.UUID
    email: str | None
    display_name: str
    birth_year: int | None
    policy_version: str
    created_at: datetime
    last_login_at: datetime | None
    current_tenant: TenantRow
    role: Role
    permissions: list[Permission]
    purposes: list[Purpose]
    memberships: list[MembershipInfo]
    purpose: Purpose | None = None
    holder_policy: RequestPolicy | None = None
    """Set when the row is shown to its holder rather than to the request's caller."""
    subject_state: Any = None
    subject_id: Any = None

    @property
    def gid(self) -> str:
        return encode_id("Member", self.user_id)


@dataclass
class SignedIn:
    access_token: str
    refresh_token: str
    expires_in: int
    tenant: TenantRow
    me: MeRow


@dataclass
class SignUpData:
    email: str
    password: str
    display_name: str
    organisation_name: str
    date_of_birth: date
    region: str = "eu"
    accept_privacy_policy: bool = False
    marketing_opt_in: bool = False


async def _memberships(services: Any, user_id: uuid.UUID) -> list[MembershipInfo]:
    """All of the user's memberships, oldest first (a session scoped to the user)."""
    async with services.db.session(None, user_scope=user_id) as session:
        result = await session.execute(
            select(
                Membership.role,
                Membership.created_at,
                Tenant.id,
                Tenant.name,
                Tenant.slug,
                Tenant.region,
            )
            .join(Tenant, Tenant.id == Membership.tenant_id)
            .where(Membership.user_id == user_id)
            .order_by(Membership.created_at, Tenant.id)
        )
        return [
            MembershipInfo(TenantRow(tid, name, slug, region), Role(role), created)
            for role, created, tid, name, slug, region in result
        ]


async def load_me(services: Any, principal: Principal, *, holder: bool = False) -> MeRow:
    """The principal's own account; `holder`: decided for the account holder, not for the
    request's caller (the payload of a sign-in, whose caller is who they were before)."""
    async with services.db.session(None) as session:
        user = await session.get(User, principal.user_id)
    if user is None:
        raise unauthenticated()
    memberships = await _memberships(services, principal.user_id)
    current = next((m for m in memberships if m.tenant.id == principal.tenant_id), None)
    if current is None:
        raise unauthenticated()
    cipher = await services.keyring.platform_cipher(services.db)
    return MeRow(
        user_id=user.id,
        email=cipher.decrypt(user.email_enc),
        display_name=user.display_name,
        birth_year=user.birth_year or None,
        policy_version=user.policy_version,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
        current_tenant=current.tenant,
        role=principal.role,
        permissions=sorted(principal.permissions, key=lambda p: p.value),
        purposes=list(principal.role_purposes),
        purpose=principal.purpose,
        memberships=memberships,
        holder_policy=RequestPolicy(principal.permissions, principal.purposes) if holder else None,
    )


async def me(ctx: Any) -> MeRow:
    return await load_me(ctx.services, ctx.require_principal())


# --- sign-up -----------------------------------------------------------------------


def _check_sign_up(data: SignUpData) -> tuple[str, str, str]:
    """Every refusal happens here, before anything is written."""
    email = validation.email(data.email)
    assert email is not None
    name = validation.text(data.display_name, "displayName", 200, required=True)
    org = validation.text(data.organisation_name, "organisationName", 200, required=True)
    validation.choice(data.region, DATA_REGIONS, "region")
    if not data.accept_privacy_policy:
        raise bad_input(
            "You must accept the privacy policy to create an account.", "acceptPrivacyPolicy"
        )
    if data.marketing_opt_in:
        raise bad_input(
            "Ledgerline sends no marketing to account holders; marketingOptIn must be false.",
            "marketingOptIn",
        )
    born = data.date_of_birth
    if born > date.today() or born.year < 1900:
        raise bad_input("dateOfBirth must be a date in the past.", "dateOfBirth")
    if not is_adult(born):
        raise AppError(
            Code.AGE_REQUIREMENT_NOT_MET,
            "You must be at least 18 years old to use Ledgerline.",
            field="dateOfBirth",
        )
    problem = password_problem(data.password, email)
    if problem is not None:
        raise AppError(Code.WEAK_PASSWORD, problem, field="password")
    return email, name or "", org or ""


SIGN_UP_MESSAGE = (
    "Thank you. We sent a message to this address: if it had no account yet, it has "
    "one now and you can sign in with logIn; if it already had one, the message says "
    "what to do."
)
"""The one answer of signUp, whether or not the address already has an account."""


async def _holder_address(services: Any, email: str) -> str | None:
    """The stored address of the account registered with `email`, if there is one."""
    cipher = await services.keyring.platform_cipher(services.db)
    async with services.db.session(None) as session:
        found = (
            await session.execute(
                select(User.email_enc).where(User.email_bidx == cipher.blind_index(email))
            )
        ).scalar_one_or_none()
    return cipher.decrypt(found) if found is not None else None


async def sign_up(ctx: Any, data: SignUpData) -> None:
    """A tenant, its owner and the policy acceptance in one transaction, and a welcome
    mail; no credentials (the new owner signs in with logIn).

    An address that already has an account: nothing is created, its holder is told by
    mail, and the caller gets the very same answer after the same password-hash work
    (no enumeration, like logIn). Only the birth year is stored (policy section 10).
    Every validation refusal happens before, and regardless of, that lookup.
    """
    await _limit_auth(ctx)
    email, name, org = _check_sign_up(data)
    services = ctx.services
    holder = await _holder_address(services, email)
    if holder is not None:
        hash_password(data.password)  # the work create_user does for a new account
        mailer(services).send_later(mail.sign_up_attempt(to=holder))
        return
    async with services.db.session(None) as session:
        tenant = await create_tenant(services, session, org, data.region)
        user = await create_user(
            services, session, email, name, data.password, data.date_of_birth.year
        )
        await add_membership(session, tenant.id, user.id, Role.OWNER)
        send_after_commit(session, services, mail.welcome(to=email, display_name=name))
        try:
            await session.commit()
        except IntegrityError:
            holder = await _holder_address(services, email)
            if holder is None:
                raise
    if holder is not None:  # a concurrent sign-up with the same address won
        mailer(services).send_later(mail.sign_up_attempt(to=holder))


# --- sign-in, tokens, tenant switch, log-out ---------------------------------------


def _set_cookies(ctx: Any, secret: str) -> None:
    settings = ctx.services.settings
    response = ctx.response
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=settings.session_ttl_s,
        path="/",
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf_token_for(secret),
        max_age=settings.session_ttl_s,
        path="/",
        httponly=False,
        secure=settings.secure_cookies,
        samesite="strict",
    )


def _clear_cookies(ctx: Any) -> None:
    secure = ctx.services.settings.secure_cookies
    ctx.response.delete_cookie(SESSION_COOKIE, path="/", secure=secure, httponly=True)
    ctx.response.delete_cookie(CSRF_COOKIE, path="/", secure=secure, samesite="strict")


async def _sign_in(
    ctx: Any, user_id: uuid.UUID, tenant_id: uuid.UUID, role: Role, *, cookie: bool = True
) -> SignedIn:
    """A refresh session and its access token, plus a cookie session for browsers.

    The request's own principal never changes (credentials apply from the next request):
    only the payload's `me`, the account holder's own data, is shown to its holder.
    """
    services = ctx.services
    refresh = await open_session(services, user_id, tenant_id, "refresh")
    principal = Principal.for_role(user_id, tenant_id, role, "bearer", refresh.session_id)
    access = issue_access_token(services, principal)
    if cookie and ctx.response is not None:
        browser = await open_session(services, user_id, tenant_id, "cookie")
        _set_cookies(ctx, browser.secret)
    me_row = await load_me(services, principal, holder=True)
    return SignedIn(access, refresh.secret, services.tokens.ttl_s, me_row.current_tenant, me_row)


async def log_in(ctx: Any, email: str, password: str, tenant: str | None) -> SignedIn:
    """Unknown email and wrong password: same code, same message, same work (the
    dummy hash), same backoff."""
    services = ctx.services
    ip = ctx.client_ip or "unknown"
    await _limit_auth(ctx)
    backoff = services.extras.get("login_backoff")
    if backoff is not None:
        try:
            await backoff.check(email, ip)
        except RateLimitExceeded as exc:
            raise rate_limited(exc) from exc
    cipher = await services.keyring.platform_cipher(services.db)
    async with services.db.session(None) as session:
        user = (
            await session.execute(select(User).where(User.email_bidx == cipher.blind_index(email)))
        ).scalar_one_or_none()
    ok = verify_password(user.password_hash if user else None, password)
    memberships = await _memberships(services, user.id) if ok and user else []
    if not ok or user is None or not memberships:
        if backoff is not None:
            await backoff.record_failure(email, ip)
        raise invalid_credentials()
    if backoff is not None:
        await backoff.record_success(email, ip)
    chosen = memberships[0]
    if tenant is not None:
        wanted = try_decode(tenant, "Tenant")
        chosen = next((m for m in memberships if m.tenant.id == wanted), None)  # type: ignore[assignment]
        if chosen is None:
            raise not_found("tenant")
    async with services.db.session(None) as session:
        row = await session.get(User, user.id)
        assert row is not None
        row.last_login_at = utcnow()
        if needs_rehash(row.password_hash):
            row.password_hash = hash_password(password)
        await session.commit()
    return await _sign_in(ctx, user.id, chosen.tenant.id, chosen.role)


async def _revoke_refresh_family(services: Any, user_id: uuid.UUID, tenant_id: uuid.UUID) -> None:
    async with services.db.session(None, user_id=user_id) as session:
        await session.execute(
            update(AuthSession)
            .where(
                AuthSession.user_id == user_id,
                AuthSession.tenant_id == tenant_id,
                AuthSession.kind == "refresh",
                AuthSession.revoked_at.is_(None),  # type: ignore[union-attr]
            )
            .values(revoked_at=utcnow())
        )
        await session.commit()


async def refresh(ctx: Any, refresh_token: str) -> SignedIn:
    """Rotate: the presented refresh session is revoked and a new one opened. A spent
    (revoked) token presented again is reuse: every refresh session of that user in
    that tenant is revoked."""
    services = ctx.services
    async with services.db.session(None, session_hash=hash_secret(refresh_token)) as session:
        found = (
            await session.execute(
                select(
                    AuthSession.id,
                    AuthSession.user_id,
                    AuthSession.tenant_id,
                    AuthSession.expires_at,
                    AuthSession.revoked_at,
                ).where(
                    AuthSession.secret_hash == hash_secret(refresh_token),
                    AuthSession.kind == "refresh",
                )
            )
        ).first()
    if found is None:
        raise _invalid_refresh()
    session_id, user_id, tenant_id, expires_at, revoked_at = found
    if revoked_at is not None:
        await _revoke_refresh_family(services, user_id, tenant_id)
        raise _invalid_refresh()
    if expires_at <= utcnow():
        raise _invalid_refresh()
    async with services.db.session(None, user_id=user_id) as session:
        spent = await session.execute(
            update(AuthSession)
            .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))  # type: ignore[union-attr]
            .values(revoked_at=utcnow())
        )
        await session.commit()
    if spent.rowcount != 1:  # type: ignore[attr-defined]  # a concurrent use won the race
        await _revoke_refresh_family(services, user_id, tenant_id)
        raise _invalid_refresh()
    memberships = await _memberships(services, user_id)
    current = next((m for m in memberships if m.tenant.id == tenant_id), None)
    if current is None:
        raise _invalid_refresh()
    return await _sign_in(ctx, user_id, tenant_id, current.role, cookie=False)


async def switch_tenant(ctx: Any, tenant: str) -> SignedIn:
    """Another of the caller's tenants; a foreign or unknown id is the same NOT_FOUND."""
    principal = ctx.require_principal()
    wanted = try_decode(tenant, "Tenant")
    memberships = await _memberships(ctx.services, principal.user_id)
    chosen = next((m for m in memberships if m.tenant.id == wanted), None)
    if chosen is None:
        raise not_found("tenant")
    cookie = principal.auth_method == "cookie"
    if cookie and principal.session_id is not None:
        await revoke_session(ctx.services, principal.session_id, principal.user_id)
    return await _sign_in(ctx, principal.user_id, chosen.tenant.id, chosen.role, cookie=cookie)


async def log_out(ctx: Any) -> bool:
    """Revoke the current session (cookie session or refresh family) and clear cookies."""
    principal = ctx.principal
    if principal is not None and principal.session_id is not None:
        await revoke_session(ctx.services, principal.session_id, principal.user_id)
    if ctx.response is not None:
        _clear_cookies(ctx)
    return principal is not None


# --- members -----------------------------------------------------------------------
