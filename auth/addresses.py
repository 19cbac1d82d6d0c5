"""Verified sign-in addresses (issue 10, "Account holders"; policy section 2.1).

Sign-up mails a single-use link that verifies the address (`auth.sign_up`); an accepted
invitation's own link already proved it. Changing the sign-in address needs the
password and the new address's own link: until that link is used the old address keeps
working, and the old address is told at once (it learns that a change was asked for,
not the new address). The answer is the same whether or not the new address already
has an account: it gets a link only when it has none, so the change tells the caller
nothing about another account.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from auth.account_tokens import LinkKind, claimed_link, issue_link, link_url
from auth.passwords import verify_password
from auth.sign_in import invalid_credentials
from core import mail
from core.errors import AppError, Code, bad_input
from core.mail import send_after_commit
from core.services import Services
from models import User
from models.base import utcnow

CHANGE_MESSAGE = (
    "We sent a link to the new address: it becomes your sign-in address once you open "
    "it. Until then, keep signing in with your current address."
)
"""The one answer of changeEmail, whether or not the new address has an account."""
VERIFIED_MESSAGE = "Thank you: your email address is verified."


async def request_change(
    services: Services, *, user_id: uuid.UUID, password: str, new_email: str
) -> str:
    """`new_email` validated and normalised; the password re-authenticates the holder."""
    cipher = await services.keyring.platform_cipher(services.db)
    new_bidx = cipher.blind_index(new_email)
    async with services.db.session(None, user_id=user_id) as session:
        user = await session.get(User, user_id)
        if user is None or not verify_password(user.password_hash, password):
            raise invalid_credentials()
        if user.email_bidx == new_bidx:
            raise bad_input("This is already your sign-in address.", "newEmail")
        current = cipher.decrypt(user.email_enc)
        assert current is not None
        taken = (
            await session.execute(select(col(User.id)).where(col(User.email_bidx) == new_bidx))
        ).first()
        if taken is None:
            token, link = await issue_link(
                session,
                user_id=user_id,
                kind=LinkKind.EMAIL_CHANGE,
                new_email_enc=cipher.encrypt(new_email),
                new_email_bidx=new_bidx,
            )
            url = link_url(services, LinkKind.EMAIL_CHANGE, token)
            verification = mail.email_change_verification(
                to=new_email, link=url, expires_at=link.expires_at
            )
            send_after_commit(session, services, verification)
        send_after_commit(session, services, mail.email_change_requested(to=current))
        await session.commit()
    return CHANGE_MESSAGE


def _taken() -> AppError:
    return AppError(
        Code.CONFLICT, "This address already belongs to another account.", field="token"
    )


async def verify_email(services: Services, token: str) -> str:
    """Use a verification link: the sign-up address is verified, or the new address
    becomes the sign-in address (verified by this very link)."""
    kinds = (LinkKind.EMAIL_VERIFICATION, LinkKind.EMAIL_CHANGE)
    try:
        async with claimed_link(services, token, kinds) as (session, link):
            user = await session.get(User, link.user_id)
            assert user is not None  # the link goes with its account (ON DELETE CASCADE)
            if link.kind == LinkKind.EMAIL_CHANGE.value:
                assert link.new_email_enc is not None and link.new_email_bidx is not None
                taken = (
                    await session.execute(
                        select(col(User.id)).where(col(User.email_bidx) == link.new_email_bidx)
                    )
                ).first()
                if taken is not None:
                    raise _taken()
                user.email_enc = link.new_email_enc
                user.email_bidx = link.new_email_bidx
            user.email_verified_at = utcnow()
    except IntegrityError as exc:  # the address was taken meanwhile
        raise _taken() from exc
    return VERIFIED_MESSAGE
