"""Account holders' self-service (issue 10, "Account holders"; policy sections 2.1, 8
and 9): `updateMe`, a verified address (`verifyEmail`, `changeEmail`), a forgotten
password (`requestPasswordReset`, `resetPassword`), `deleteMyAccount`, and the
objection to sale or sharing (`optOutOfSaleSharing`, the `Sec-GPC: 1` header,
`myPrivacyChoices`). Resolvers in resolvers/account_self.py."""

from __future__ import annotations

from datetime import datetime

import strawberry

from auth.permissions import Permission as P
from core.context import RequestContext
from privacy.purposes import Purpose
from resolvers import account_self as resolve
from schema.operations.accounts import Me
from schema.policy import guarded_field, plain_field

# Every role holds MEMBERS_READ: the operations on one's own account need only a sign-in.
_SIGNED_IN = P.MEMBERS_READ


@strawberry.type(description="The answer of an account operation: what happens next.")
class AccountMessagePayload:
    ok: bool = plain_field("True once the input passed validation.")
    message: str = plain_field(
        "What happens next; for requestPasswordReset and changeEmail the same text "
        "whether or not an account uses the address."
    )


@strawberry.type(description="Your account after the change.")
class UpdateMePayload:
    me: Me = plain_field("Your account.")


@strawberry.type(description="Your account was deleted.")
class DeleteMyAccountPayload:
    ok: bool = plain_field("True: the account and every session of it are gone.")
    memberships_ended: int = plain_field("How many memberships ended with it.")


@strawberry.type(description="One of your privacy choices, as recorded (append-only).")
class AccountPrivacyChoice:
    purpose: Purpose = plain_field("The purpose the choice is about.")
    status: str = plain_field("objected or objection_withdrawn.")
    source: str = plain_field(
        "gpc (your browser's Global Privacy Control signal) or account_settings."
    )
    recorded_at: datetime = plain_field("When it was recorded.")


@strawberry.type(
    description="Your choices about your account data (policy section 9). Ledgerline "
    "sells and shares no account data; your objection is recorded so that stays true."
)
class AccountPrivacyChoices:
    opted_out_of_sale_sharing: bool = plain_field(
        "True while your objection to the sale or sharing of your data stands."
    )
    history: list[AccountPrivacyChoice] = plain_field("Every choice, oldest first.")


def _message(text: str) -> AccountMessagePayload:
    return AccountMessagePayload(ok=True, message=text)


@strawberry.type
class Query:
    @guarded_field(
        permission=_SIGNED_IN,
        description="Your privacy choices about your account data, with their history.",
    )
    async def my_privacy_choices(
        self, info: strawberry.Info[RequestContext, None]
    ) -> AccountPrivacyChoices:
        return await resolve.my_privacy_choices(info.context)  # type: ignore[return-value]


@strawberry.type
class Mutation:
    @guarded_field(
        permission=_SIGNED_IN,
        description="Change your account's display name (the sign-in address changes with "
        "changeEmail, the password with requestPasswordReset).",
    )
    async def update_me(
        self, info: strawberry.Info[RequestContext, None], display_name: str
    ) -> UpdateMePayload:
        me = await resolve.update_me(info.context, display_name)
        return UpdateMePayload(me=me)  # type: ignore[arg-type]

    @guarded_field(
        permission=_SIGNED_IN,
        description="Ask to sign in with another address (your password confirms it is "
        "you). A single-use link (valid 24 hours) goes to the new address and your current "
        "address is told; the new address becomes your sign-in address only when its link "
        "is used (verifyEmail), and the current one works until then. The answer is the "
        "same whether or not the new address has an account. Rate limited.",
    )
    async def change_email(
        self, info: strawberry.Info[RequestContext, None], new_email: str, password: str
    ) -> AccountMessagePayload:
        return _message(await resolve.change_email(info.context, new_email, password))

    @strawberry.mutation(
        description="Public: use the single-use link mailed at sign-up (valid 48 hours) or "
        "for a new sign-in address. An unknown, used or expired token answers "
        "ACCOUNT_LINK_INVALID. Rate limited."
    )
    async def verify_email(
        self, info: strawberry.Info[RequestContext, None], token: str
    ) -> AccountMessagePayload:
        return _message(await resolve.verify_email(info.context, token))

    @strawberry.mutation(
        description="Public: mail a single-use link (valid one hour) to choose a new "
        "password. The answer is the same whether or not an account uses the address; "
        "only an account's own address gets a mail. Rate limited."
    )
    async def request_password_reset(
        self, info: strawberry.Info[RequestContext, None], email: str
    ) -> AccountMessagePayload:
        return _message(await resolve.request_password_reset(info.context, email))

    @strawberry.mutation(
        description="Public: set a new password (the sign-up rule applies: WEAK_PASSWORD) "
        "with the token from the reset mail; every session and refresh token of the "
        "account is revoked. An unknown, used or expired token answers "
        "ACCOUNT_LINK_INVALID. Rate limited."
    )
    async def reset_password(
        self, info: strawberry.Info[RequestContext, None], token: str, new_password: str
    ) -> AccountMessagePayload:
        return _message(await resolve.reset_password(info.context, token, new_password))

    @guarded_field(
        permission=_SIGNED_IN,
        description="Delete your account, confirmed with your password (INVALID_CREDENTIALS "
        "otherwise). The last owner of an organisation must make another member an owner "
        "or delete the organisation first (LAST_OWNER). Your memberships, sessions and "
        "account data are erased; the records you own stay without an owner. Must be the "
        "only field of its operation. Rate limited.",
    )
    async def delete_my_account(
        self, info: strawberry.Info[RequestContext, None], password: str
    ) -> DeleteMyAccountPayload:
        ended = await resolve.delete_my_account(info.context, password)
        return DeleteMyAccountPayload(ok=True, memberships_ended=ended)

    @guarded_field(
        permission=_SIGNED_IN,
        description="Object to the sale or sharing of your account data (as the Sec-GPC: 1 "
        "header does on any request). Recorded once; asking again changes nothing.",
    )
    async def opt_out_of_sale_sharing(
        self, info: strawberry.Info[RequestContext, None]
    ) -> AccountPrivacyChoices:
        return await resolve.opt_out_of_sale_sharing(info.context)  # type: ignore[return-value]
