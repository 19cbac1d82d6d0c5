"""Accounts and sign-in (policy sections 2.1, 8, 10, 12): sign-up, log-in, tokens,
tenant switch, log-out, the caller's own account (`me`) and member management."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from auth.permissions import Permission as P
from auth.permissions import Role
from auth.sign_up import SIGN_UP_MESSAGE
from core.context import RequestContext
from privacy.categories import DataCategory as C
from privacy.purposes import Purpose
from resolvers import accounts as resolve
from resolvers import members as member_resolvers
from schema.directives import Requires, TenantScoped
from schema.operations.inputs import DeletePayload
from schema.policy import guarded_field, pii_field, plain_field
from schema.types import consent as _consent_types  # noqa: F401  (registers Purpose)
from schema.types.closed_sets import Role as RoleEnum
from schema.types.members import Member

# Account holders see their own data: every role holds MEMBERS_READ (asserted by the
# tests for each role), and the data is not bound to a contact's consent state.
_OWN = P.MEMBERS_READ


@strawberry.type(description="A tenant (organisation) the caller belongs to.")
class TenantInfo:
    gid: strawberry.ID = plain_field("Opaque global id of the tenant.", name="id")
    name: str = plain_field("The organisation's name.")
    slug: str = plain_field("Short unique name of the tenant.")
    region: str = plain_field("Where the tenant's data is stored: eu or us.")


@strawberry.type(description="One of the caller's memberships.")
class TenantMembership:
    tenant: TenantInfo = plain_field("The tenant.")
    role: Role = plain_field("The caller's role in it.")


@strawberry.type(description="Your own account (policy section 2.1; right of access).")
class Me:
    gid: strawberry.ID = plain_field(
        "Opaque global id (equal to your Member id in each tenant).", name="id"
    )
    email: str | None = pii_field(
        category=C.EMAIL,
        permission=_OWN,
        source="email",
        subject_bound=False,
        description="Your sign-in email.",
    )
    display_name: str | None = pii_field(
        category=C.NAME,
        permission=_OWN,
        source="display_name",
        subject_bound=False,
        description="Your display name.",
    )
    birth_year: int | None = pii_field(
        category=C.DATE_OF_BIRTH,
        permission=_OWN,
        source="birth_year",
        graphql_type=int,
        subject_bound=False,
        description="Your birth year (the only part of your date of birth that is kept).",
    )
    policy_version: str = plain_field("The privacy policy version you acknowledged.")
    created_at: datetime = plain_field("When your account was created.")
    last_login_at: datetime | None = plain_field("When you last signed in.")
    email_verified_at: datetime | None = plain_field(
        "When you confirmed your sign-in address with the link mailed to it (null: not yet)."
    )
    current_tenant: TenantInfo = plain_field("The tenant this session acts in.")
    role: Role = plain_field("Your role in the current tenant.")
    permissions: list[P] = plain_field("What your role may do in the current tenant.")
    purposes: list[Purpose] = plain_field(
        "The purposes your role may act under (declare one with X-Ledgerline-Purpose)."
    )
    purpose: Purpose | None = plain_field(
        "The one purpose this request is processed under: your role's first purpose, or "
        "the one declared with the X-Ledgerline-Purpose header."
    )
    memberships: list[TenantMembership] = plain_field("Every tenant you belong to.")


@strawberry.type(description="A signed-in session: tokens for API clients and your account.")
class AuthPayload:
    ok: bool = plain_field("True when signed in.")
    access_token: str | None = plain_field("Short-lived bearer token (ES256 JWT).")
    refresh_token: str | None = plain_field(
        "Single-use secret for refreshToken; store it like a password."
    )
    expires_in: int | None = plain_field("Seconds until the access token expires.")
    tenant: TenantInfo | None = plain_field("The tenant the tokens act in.")
    me: Me | None = plain_field("Your account.")


@strawberry.type(
    description="The answer of signUp: the same whether or not the address already had "
    "an account (a mail to the address says which). It carries no credentials: sign in "
    "with logIn."
)
class SignUpPayload:
    ok: bool = plain_field("Always true once the input passed validation.")
    message: str = plain_field("What happens next; the same text in every case.")


# Declares the GraphQL enum on the Python enum itself (strawberry.enum returns it), so
# fields are annotated with `member_resolvers.InvitationStatus`.
strawberry.enum(
    member_resolvers.InvitationStatus,
    name="InvitationStatus",
    description="pending, accepted, revoked, or expired (past expiresAt, never accepted).",
)


@strawberry.type(
    description="An invitation to join your tenant. It shows only what the inviter gave "
    "(never data of an existing account, in this tenant or another); the person "
    "accepts it through the single-use link mailed to them.",
    directives=[TenantScoped(), Requires(permission=P.MEMBERS_MANAGE)],
)
class Invitation:
    gid: strawberry.ID = plain_field("Opaque global id of the invitation.", name="id")
    email: str | None = pii_field(
        category=C.EMAIL,
        permission=P.MEMBERS_MANAGE,
        source="email",
        subject_bound=False,
        description="The invited address, as given (normalised).",
    )
    display_name: str | None = pii_field(
        category=C.NAME,
        permission=P.MEMBERS_MANAGE,
        source="display_name",
        subject_bound=False,
        description="The display name the inviter gave (null when none was given).",
    )
    role: Role = plain_field("The role the person gets on accepting.")
    status: member_resolvers.InvitationStatus = plain_field("Where the invitation stands.")
    created_at: datetime = plain_field("When it was sent.")
    expires_at: datetime = plain_field("After this, the link no longer works.")


@strawberry.type(description="The invitation after the change.")
class InvitationPayload:
    invitation: Invitation = plain_field("The invitation.")


@strawberry.type(
    description="An accepted invitation: you are now a member. The request's own "
    "session is unchanged: sign in (logIn with `tenant`, or switchTenant) to act there."
)
class AcceptInvitationPayload:
    ok: bool = plain_field("True when the membership was created.")
    tenant: TenantInfo = plain_field("The tenant you joined.")
    role: Role = plain_field("Your role there.")


@strawberry.type(description="The result of logOut.")
class LogOutPayload:
    ok: bool = plain_field("True when a session was ended.")


@strawberry.type(description="The member after the change.")
class MemberPayload:
    member: Member = plain_field("The member.")


@strawberry.input(description="Creating an organisation and its owner's account.")
class SignUpInput:
    email: str
    password: str
    display_name: str
    organisation_name: str
    date_of_birth: date = strawberry.field(
        description="Checked against the 18+ rule; only the year is stored."
    )
    accept_privacy_policy: bool
    region: str = strawberry.field(default="eu", description="Data region: eu or us.")
    marketing_opt_in: bool = False


@strawberry.input(description="Accepting an invitation with the token from its mail.")
class AcceptInvitationInput:
    token: str = strawberry.field(description="The single-use token from the invitation link.")
    password: str | None = strawberry.field(
        default=None,
        description="Without an account: the password to create it with. With one (and "
        "not signed in as it): its password.",
    )
    display_name: str | None = strawberry.field(
        default=None,
        description="Without an account: your display name (default: the one the inviter gave).",
    )
    date_of_birth: date | None = strawberry.field(
        default=None,
        description="Without an account: checked against the 18+ rule; only the year is stored.",
    )
    accept_privacy_policy: bool = strawberry.field(
        default=False, description="Without an account: you must accept the privacy policy."
    )


def _payload(signed: resolve.SignedIn) -> AuthPayload:
    return AuthPayload(
        ok=True,
        access_token=signed.access_token,
        refresh_token=signed.refresh_token,
        expires_in=signed.expires_in,
        tenant=signed.tenant,  # type: ignore[arg-type]
        me=signed.me,  # type: ignore[arg-type]
    )


@strawberry.type
class Query:
    @strawberry.field(description="Your own account. Requires signing in.")
    async def me(self, info: strawberry.Info[RequestContext, None]) -> Me:
        return await resolve.me(info.context)  # type: ignore[return-value]

    @guarded_field(permission=P.MEMBERS_READ, description="Members of your tenant.")
    async def members(self, info: strawberry.Info[RequestContext, None]) -> list[Member]:
        return await member_resolvers.list_members(info.context)  # type: ignore[return-value]

    @guarded_field(
        permission=P.MEMBERS_MANAGE,
        description="Invitations to your tenant, newest first, in every status.",
    )
    async def invitations(self, info: strawberry.Info[RequestContext, None]) -> list[Invitation]:
        return await member_resolvers.list_invitations(info.context)  # type: ignore[return-value]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Create an organisation and its owner (18+, privacy policy accepted). "
        "The answer is the same whether or not the address already has an account (its "
        "holder is told by mail) and carries no credentials: then sign in with logIn. "
        "Rate limited."
    )
    async def sign_up(
        self, info: strawberry.Info[RequestContext, None], input: SignUpInput
    ) -> SignUpPayload:
        data = resolve.SignUpData(
            email=input.email,
            password=input.password,
            display_name=input.display_name,
            organisation_name=input.organisation_name,
            date_of_birth=input.date_of_birth,
            region=input.region,
            accept_privacy_policy=input.accept_privacy_policy,
            marketing_opt_in=input.marketing_opt_in,
        )
        await resolve.sign_up(info.context, data)
        return SignUpPayload(ok=True, message=SIGN_UP_MESSAGE)

    @strawberry.mutation(
        description="Sign in: sets the session and CSRF cookies for browsers and returns "
        "bearer and refresh tokens. Without `tenant`, your oldest membership is used."
    )
    async def log_in(
        self,
        info: strawberry.Info[RequestContext, None],
        email: str,
        password: str,
        tenant: strawberry.ID | None = None,
    ) -> AuthPayload:
        return _payload(await resolve.log_in(info.context, email, password, tenant))

    @strawberry.mutation(
        description="A new access token and a new refresh token; the one presented is "
        "spent. Presenting a spent one again ends every API session of that account "
        "in that tenant."
    )
    async def refresh_token(
        self, info: strawberry.Info[RequestContext, None], refresh_token: str
    ) -> AuthPayload:
        return _payload(await resolve.refresh(info.context, refresh_token))

    @strawberry.mutation(description="Act in another tenant you belong to.")
    async def switch_tenant(
        self, info: strawberry.Info[RequestContext, None], tenant: strawberry.ID
    ) -> AuthPayload:
        return _payload(await resolve.switch_tenant(info.context, tenant))

    @strawberry.mutation(description="End the current session and clear its cookies.")
    async def log_out(self, info: strawberry.Info[RequestContext, None]) -> LogOutPayload:
        return LogOutPayload(ok=await resolve.log_out(info.context))

    @guarded_field(
        permission=P.MEMBERS_MANAGE,
        description="Invite a person to your tenant by email: they get a mail with a "
        "single-use link (valid 7 days) and become a member when they accept it. The "
        "answer is the same whether or not the address has an account; inviting again "
        "replaces a pending invitation. Only owners may invite owners.",
    )
    async def invite_member(
        self,
        info: strawberry.Info[RequestContext, None],
        email: str,
        role: Role,
        display_name: str | None = None,
    ) -> InvitationPayload:
        row = await member_resolvers.invite_member(info.context, email, role, display_name)
        return InvitationPayload(invitation=row)  # type: ignore[arg-type]

    @guarded_field(
        permission=P.MEMBERS_MANAGE,
        description="Revoke a pending invitation: its link stops working. Only owners "
        "may revoke an invitation to the owner role.",
    )
    async def revoke_invitation(
        self, info: strawberry.Info[RequestContext, None], invitation: strawberry.ID
    ) -> InvitationPayload:
        row = await member_resolvers.revoke_invitation(info.context, invitation)
        return InvitationPayload(invitation=row)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Accept an invitation with the token from its mail. With an account "
        "at that address, be signed in as it or give its password; without one, choose a "
        "password, confirm your date of birth (18+) and accept the privacy policy. An "
        "expired, revoked or used token answers INVITATION_INVALID. Rate limited."
    )
    async def accept_invitation(
        self, info: strawberry.Info[RequestContext, None], input: AcceptInvitationInput
    ) -> AcceptInvitationPayload:
        data = member_resolvers.AcceptInvitationData(
            token=input.token,
            password=input.password,
            display_name=input.display_name,
            date_of_birth=input.date_of_birth,
            accept_privacy_policy=input.accept_privacy_policy,
        )
        accepted = await member_resolvers.accept_invitation(info.context, data)
        return AcceptInvitationPayload(
            ok=True,
            tenant=accepted.tenant,  # type: ignore[arg-type]
            role=accepted.role,
        )

    @guarded_field(
        permission=P.MEMBERS_MANAGE,
        description="Change a member's role. Only owners may grant or take the owner "
        "role; the last owner keeps it.",
    )
    async def change_role(
        self, info: strawberry.Info[RequestContext, None], member: strawberry.ID, role: Role
    ) -> MemberPayload:
        row = await member_resolvers.change_role(info.context, member, role)
        return MemberPayload(member=row)  # type: ignore[arg-type]

    @guarded_field(
        permission=P.MEMBERS_MANAGE,
        description="Remove a member; their records stay without an owner or author. "
        "Only owners may remove an owner; the last owner stays.",
    )
    async def remove_member(
        self, info: strawberry.Info[RequestContext, None], member: strawberry.ID
    ) -> DeletePayload:
        deleted = await member_resolvers.remove_member(info.context, member)
        return DeletePayload(deleted_id=strawberry.ID(deleted))


__all__ = ["Invitation", "Me", "Mutation", "Query", "RoleEnum", "SignUpPayload", "TenantInfo"]
