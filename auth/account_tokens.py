"""Single-use account links (issue 10, "Account holders"): the link that verifies an
address at sign-up, the one that confirms a new sign-in address, and the one that
resets a password.

A token is 32 random bytes (URL-safe text) of which only the SHA-256 is stored
(`auth.sessions.hash_secret`, as for sessions); it works once and expires. Issuing a
new link of a kind spends the earlier unused ones of that kind, so only the newest
works. Claiming happens in the same transaction as what the link does: a refused
change (a weak new password) leaves the link unused. An unknown, used, expired or
forged token is one and the same ACCOUNT_LINK_INVALID.
"""

from __future__ import annotations

import enum
import secrets
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from auth.sessions import hash_secret
from core.errors import AppError, Code
from core.services import Services
from models import AccountToken
from models.base import utcnow
from models.db import enter_scope


class LinkKind(enum.Enum):
    EMAIL_VERIFICATION = "email_verification"
    EMAIL_CHANGE = "email_change"
    PASSWORD_RESET = "password_reset"


LIFETIME = {
    LinkKind.EMAIL_VERIFICATION: timedelta(hours=48),
    LinkKind.EMAIL_CHANGE: timedelta(hours=24),
    LinkKind.PASSWORD_RESET: timedelta(hours=1),
}
PATH = {
    LinkKind.EMAIL_VERIFICATION: "verify-email",
    LinkKind.EMAIL_CHANGE: "verify-email",
    LinkKind.PASSWORD_RESET: "reset-password",
}
LINK_INVALID_MESSAGE = (
    "This link is no longer valid: it has expired, was already used or is not a link we "
    "sent. Ask for a new one."
)


def link_invalid() -> AppError:
    return AppError(Code.ACCOUNT_LINK_INVALID, LINK_INVALID_MESSAGE, field="token")


def link_url(services: Services, kind: LinkKind, token: str) -> str:
    """The token travels in the fragment, which browsers never send to a server."""
    return f"{services.settings.app_url}/{PATH[kind]}#token={token}"


async def issue_link(
    session: AsyncSession, *, user_id: uuid.UUID, kind: LinkKind, **fields: Any
) -> tuple[str, AccountToken]:
    """A new link for `user_id` (earlier unused links of the kind are spent), in the
    session's transaction. The session enters the user's scope: on PostgreSQL the row
    is checked against the account's row-level security (migration 0014)."""
    await enter_scope(session, session.info.get("tenant_id"), user_id)
    now = utcnow()
    await session.execute(
        update(AccountToken)
        .where(
            col(AccountToken.user_id) == user_id,
            col(AccountToken.kind) == kind.value,
            col(AccountToken.used_at).is_(None),
        )
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    row = AccountToken(
        user_id=user_id,
        kind=kind.value,
        token_hash=hash_secret(token),
        expires_at=now + LIFETIME[kind],
        **fields,
    )
    session.add(row)
    await session.flush()
    return token, row


@asynccontextmanager
async def claimed_link(
    services: Services, token: str, kinds: Iterable[LinkKind]
) -> AsyncIterator[tuple[AsyncSession, AccountToken]]:
    """The link's row, spent, and a session in its user's scope; committed when the
    block ends without an error, rolled back (the link still unused) otherwise."""
    token_hash = hash_secret(token)
    wanted = {k.value for k in kinds}
    now = utcnow()
    async with services.db.session(None, session_hash=token_hash) as session:
        found = (
            await session.execute(
                select(AccountToken).where(col(AccountToken.token_hash) == token_hash)
            )
        ).scalar_one_or_none()
        if (
            found is None
            or found.kind not in wanted
            or found.used_at is not None
            or found.expires_at <= now
        ):
            raise link_invalid()
        spent = await session.execute(
            update(AccountToken)
            .where(col(AccountToken.id) == found.id, col(AccountToken.used_at).is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if spent.rowcount != 1:  # type: ignore[attr-defined]  # a concurrent use won
            raise link_invalid()
        await enter_scope(session, None, found.user_id)
        yield session, found
        await session.commit()
