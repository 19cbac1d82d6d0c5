"""Accounts and sign-in: sign-up, log-in, tokens, tenant switch, log-out and `me`.

Thin over auth/ (`auth.sign_up`, `auth.sign_in`), where the security rules live: here
the input is validated, ids are decoded, the cookies of a browser session are set on
the response and the account is shown. Sign-up, log-in and refresh never touch
`ctx.db` (it has no tenant): auth/ opens its own short sessions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from auth import sign_in as auth_sign_in
from auth import sign_up as auth_sign_up
from auth.accounts import AccountMembership, AccountTenant, memberships_of
from auth.permissions import Permission, Role
from auth.principal import Principal
from auth.sessions import CSRF_COOKIE, SESSION_COOKIE, csrf_token_for
from auth.throttle import limit_auth
from core.context import RequestContext
from core.errors import unauthenticated
from core.services import Services
from models import User
from models.tenancy import DATA_REGIONS
from privacy.decision import RequestPolicy
from privacy.purposes import Purpose
from resolvers import validation
from resolvers.global_ids import encode_id, try_decode

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

    @classmethod
    def of(cls, tenant: AccountTenant) -> TenantRow:
        return cls(tenant.id, tenant.name, tenant.slug, tenant.region)


@dataclass
class MembershipInfo:
    tenant: TenantRow
    role: Role
    created_at: datetime

    @classmethod
    def of(cls, membership: AccountMembership) -> MembershipInfo:
        return cls(TenantRow.of(membership.tenant), membership.role, membership.created_at)


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
    email_verified_at: datetime | None
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


async def load_me(services: Services, principal: Principal, *, holder: bool = False) -> MeRow:
    """The principal's own account; `holder`: decided for the account holder, not for the
    request's caller (the payload of a sign-in, whose caller is who they were before)."""
    async with services.db.session(None) as session:
        user = await session.get(User, principal.user_id)
    if user is None:
        raise unauthenticated()
    memberships = [MembershipInfo.of(m) for m in await memberships_of(services, principal.user_id)]
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
        email_verified_at=user.email_verified_at,
        current_tenant=current.tenant,
        role=principal.role,
        permissions=sorted(principal.permissions, key=lambda p: p.value),
        purposes=list(principal.role_purposes),
        purpose=principal.purpose,
        memberships=memberships,
        holder_policy=RequestPolicy(principal.permissions, principal.purposes) if holder else None,
    )


async def me(ctx: RequestContext) -> MeRow:
    return await load_me(ctx.services, ctx.require_principal())


# --- sign-up -----------------------------------------------------------------------


async def sign_up(ctx: RequestContext, data: SignUpData) -> None:
    """Rate limited, then every refusal (input, then the sign-up rules) before anything
    is read or written; the answer is the same whether or not the address has an
    account (`auth.sign_up`)."""
    await limit_auth(ctx.services, ctx.client_ip)
    email = validation.email(data.email)
    assert email is not None
    name = validation.text(data.display_name, "displayName", 200, required=True)
    org = validation.text(data.organisation_name, "organisationName", 200, required=True)
    validation.choice(data.region, DATA_REGIONS, "region")
    checked = auth_sign_up.SignUp(
        email=email,
        password=data.password,
        display_name=name or "",
        organisation_name=org or "",
        date_of_birth=data.date_of_birth,
        region=data.region,
        accept_privacy_policy=data.accept_privacy_policy,
        marketing_opt_in=data.marketing_opt_in,
    )
    await auth_sign_up.sign_up(ctx.services, checked)


# --- sign-in, tokens, tenant switch, log-out ---------------------------------------


def _set_cookies(ctx: RequestContext, secret: str) -> None:
    settings = ctx.services.settings
    response = ctx.require_response()
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


def clear_cookies(ctx: RequestContext) -> None:
    secure = ctx.services.settings.secure_cookies
    response = ctx.require_response()
    response.delete_cookie(SESSION_COOKIE, path="/", secure=secure, httponly=True)
    response.delete_cookie(CSRF_COOKIE, path="/", secure=secure, samesite="strict")


async def _signed_in(ctx: RequestContext, credentials: auth_sign_in.Credentials) -> SignedIn:
    """The browser's cookies set, and the account shown to its holder: the request's own
    principal never changes (credentials apply from the next request)."""
    if credentials.cookie_secret is not None:
        _set_cookies(ctx, credentials.cookie_secret)
    me_row = await load_me(ctx.services, credentials.principal, holder=True)
    return SignedIn(
        credentials.access_token,
        credentials.refresh_token,
        credentials.expires_in,
        me_row.current_tenant,
        me_row,
    )


async def log_in(ctx: RequestContext, email: str, password: str, tenant: str | None) -> SignedIn:
    wanted = auth_sign_in.OLDEST if tenant is None else try_decode(tenant, "Tenant")
    credentials = await auth_sign_in.log_in(
        ctx.services,
        email=email,
        password=password,
        client_ip=ctx.client_ip,
        tenant=wanted,
        cookie=ctx.response is not None,
    )
    return await _signed_in(ctx, credentials)


async def refresh(ctx: RequestContext, refresh_token: str) -> SignedIn:
    return await _signed_in(ctx, await auth_sign_in.refresh(ctx.services, refresh_token))


async def switch_tenant(ctx: RequestContext, tenant: str) -> SignedIn:
    principal = ctx.require_principal()
    credentials = await auth_sign_in.switch_tenant(
        ctx.services,
        principal,
        tenant_id=try_decode(tenant, "Tenant"),
        browser=ctx.response is not None,
    )
    return await _signed_in(ctx, credentials)


async def log_out(ctx: RequestContext) -> bool:
    """Revoke the current session (cookie session or refresh family) and clear cookies."""
    ended = await auth_sign_in.log_out(ctx.services, ctx.principal)
    if ctx.response is not None:
        clear_cookies(ctx)
    return ended
