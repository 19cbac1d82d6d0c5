"""Password reset (issue 10, "Account holders"; policy section 8).

Asking for a reset answers one and the same way whether or not the address has an
account (no enumeration: the single-use link, valid one hour, goes only to an account's
own address, after the commit, in the background), and is rate limited by the `auth`
bucket of the client's IP. Using the link sets a new password under sign-up's rule and
revokes every session and refresh token of the account, and the grants of partner apps
acting for it in each of its tenants, in the one transaction that spends the link: a
refused password leaves the link unused.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlmodel import col

from auth.account_tokens import LinkKind, claimed_link, issue_link, link_url
from auth.accounts import memberships_of, revoke_app_grants
from auth.passwords import hash_password
from auth.sign_up import require_strong_password
from auth.throttle import limit_auth
from core import mail
from core.mail import send_after_commit
from core.services import Services
from models import AuthSession, User
from models.base import utcnow
from models.db import enter_scope

REQUEST_MESSAGE = (
    "If an account uses this address, we sent it a link to choose a new password. The "
    "link works once, for one hour."
)
"""The one answer of requestPasswordReset."""
RESET_MESSAGE = "Your password was changed and every session was signed out. Sign in again."


async def request_reset(services: Services, *, email: str, client_ip: str | None) -> str:
    """`email` validated and normalised. Mails the link only to an existing account."""
    await limit_auth(services, client_ip)
    cipher = await services.keyring.platform_cipher(services.db)
    async with services.db.session(None) as session:
        found = (
            await session.execute(
                select(col(User.id), col(User.email_enc)).where(
                    col(User.email_bidx) == cipher.blind_index(email)
                )
            )
        ).first()
        if found is None:
            return REQUEST_MESSAGE
        user_id, email_enc = found
        token, link = await issue_link(session, user_id=user_id, kind=LinkKind.PASSWORD_RESET)
        address = cipher.decrypt(email_enc)
        assert address is not None
        url = link_url(services, LinkKind.PASSWORD_RESET, token)
        send_after_commit(
            session, services, mail.password_reset(to=address, link=url, expires_at=link.expires_at)
        )
        await session.commit()
    return REQUEST_MESSAGE


async def reset_password(
    services: Services, *, token: str, new_password: str, client_ip: str | None
) -> str:
    await limit_auth(services, client_ip)
    cipher = await services.keyring.platform_cipher(services.db)
    async with claimed_link(services, token, (LinkKind.PASSWORD_RESET,)) as (session, link):
        user = await session.get(User, link.user_id)
        assert user is not None  # the link goes with its account (ON DELETE CASCADE)
        address = cipher.decrypt(user.email_enc)
        assert address is not None
        require_strong_password(new_password, address)
        now = utcnow()
        user.password_hash = hash_password(new_password)
        user.email_verified_at = user.email_verified_at or now  # the link reached it
        await session.execute(
            update(AuthSession)
            .where(col(AuthSession.user_id) == user.id, col(AuthSession.revoked_at).is_(None))
            .values(revoked_at=now)
        )
        for membership in await memberships_of(services, user.id):
            await enter_scope(session, membership.tenant.id, user.id)
            await revoke_app_grants(session, user.id)
    return RESET_MESSAGE
