"""Account holders' self-service (issue 10, "Account holders"): their own name, a
verified address and a new one, a forgotten password, deleting the account, and their
objection to the sale or sharing of their account data.

Thin over auth/ (`auth.addresses`, `auth.password_reset`, `auth.account_deletion`) and
privacy/account_choices.py: here the input is validated and normalised and the result
shown. The operations anyone may call (verifyEmail, requestPasswordReset,
resetPassword) never touch `ctx.db`: auth/ opens its own short sessions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from auth import account_deletion, addresses, password_reset
from auth.throttle import limit_auth
from core.context import RequestContext
from models import AccountChoiceEvent, User
from privacy.account_choices import (
    choice_history,
    object_to_sale_sharing,
    objects_to_sale_sharing,
)
from privacy.purposes import Purpose
from resolvers import validation
from resolvers.accounts import MeRow, clear_cookies, load_me


async def update_me(ctx: RequestContext, display_name: str | None) -> MeRow:
    """The account's non-credential fields (today its display name); the sign-in
    address changes with changeEmail, the password with resetPassword."""
    principal = ctx.require_principal()
    name = validation.text(display_name, "displayName", 200, required=True)
    services = ctx.services
    async with services.db.session(None, user_id=principal.user_id) as session:
        user = await session.get(User, principal.user_id)
        assert user is not None  # the principal's account exists for this request
        user.display_name = name or user.display_name
        await session.commit()
    return await load_me(services, principal)


async def change_email(ctx: RequestContext, new_email: str, password: str) -> str:
    principal = ctx.require_principal()
    await limit_auth(ctx.services, ctx.client_ip)
    address = validation.email(new_email, "newEmail")
    assert address is not None
    return await addresses.request_change(
        ctx.services, user_id=principal.user_id, password=password, new_email=address
    )


async def verify_email(ctx: RequestContext, token: str) -> str:
    await limit_auth(ctx.services, ctx.client_ip)
    return await addresses.verify_email(ctx.services, token)


async def request_password_reset(ctx: RequestContext, email: str) -> str:
    address = validation.email(email)
    assert address is not None
    return await password_reset.request_reset(ctx.services, email=address, client_ip=ctx.client_ip)


async def reset_password(ctx: RequestContext, token: str, new_password: str) -> str:
    return await password_reset.reset_password(
        ctx.services, token=token, new_password=new_password, client_ip=ctx.client_ip
    )


async def delete_my_account(ctx: RequestContext, password: str) -> int:
    """In the request's transaction (`auth.account_deletion`); a browser's cookies go."""
    principal = ctx.require_principal()
    await limit_auth(ctx.services, ctx.client_ip)
    ended = await account_deletion.delete_account(
        ctx.services, ctx.db, principal=principal, password=password, request_id=ctx.request_id
    )
    if ctx.response is not None:
        clear_cookies(ctx)
    return ended


# --- privacy choices ---------------------------------------------------------------


@dataclass
class ChoiceRow:
    purpose: Purpose
    status: str
    source: str
    recorded_at: datetime
    subject_state: Any = None
    subject_id: Any = None

    @classmethod
    def of(cls, event: AccountChoiceEvent) -> ChoiceRow:
        return cls(Purpose(event.purpose), event.status, event.source, event.recorded_at)


@dataclass
class ChoicesRow:
    opted_out_of_sale_sharing: bool
    history: list[ChoiceRow] = field(default_factory=list)
    subject_state: Any = None
    subject_id: Any = None


async def _choices(ctx: RequestContext, user_id: uuid.UUID) -> ChoicesRow:
    history = await choice_history(ctx.db, user_id)
    return ChoicesRow(objects_to_sale_sharing(history), [ChoiceRow.of(e) for e in history])


async def my_privacy_choices(ctx: RequestContext) -> ChoicesRow:
    return await _choices(ctx, ctx.require_principal().user_id)


async def opt_out_of_sale_sharing(ctx: RequestContext) -> ChoicesRow:
    """Idempotent: an objection that already stands is not recorded again."""
    user_id = ctx.require_principal().user_id
    await object_to_sale_sharing(ctx.db, ctx.audit, user_id=user_id, source="account_settings")
    return await _choices(ctx, user_id)
