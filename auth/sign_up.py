"""Signing up (policy sections 2.1, 10, 12): the rules an account is created under
(18+, the privacy policy accepted, a strong password) and sign-up without account
enumeration: an address that already has an account gets the same answer, after the
same work, and its holder is told by mail.

The input arrives validated and normalised (syntax of the address, lengths, region);
every refusal here happens before anything is read or written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from auth.account_tokens import LinkKind, issue_link, link_url
from auth.accounts import add_membership, create_tenant, create_user, is_adult
from auth.passwords import hash_password, password_problem
from auth.permissions import Role
from core import mail
from core.errors import AppError, Code, bad_input
from core.mail import mailer, send_after_commit
from core.services import Services
from models import User

SIGN_UP_MESSAGE = (
    "Thank you. We sent a message to this address: if it had no account yet, it has "
    "one now and you can sign in with logIn; if it already had one, the message says "
    "what to do."
)
"""The one answer of signUp, whether or not the address already has an account."""


def require_policy_accepted(accepted: bool) -> None:
    if not accepted:
        raise bad_input(
            "You must accept the privacy policy to create an account.", "acceptPrivacyPolicy"
        )


def require_adult(born: date) -> None:
    """A date in the past, at least 18 years ago (policy section 10)."""
    if born > date.today() or born.year < 1900:
        raise bad_input("dateOfBirth must be a date in the past.", "dateOfBirth")
    if not is_adult(born):
        raise AppError(
            Code.AGE_REQUIREMENT_NOT_MET,
            "You must be at least 18 years old to use Ledgerline.",
            field="dateOfBirth",
        )


def require_strong_password(password: str, email: str) -> None:
    problem = password_problem(password, email)
    if problem is not None:
        raise AppError(Code.WEAK_PASSWORD, problem, field="password")


@dataclass(frozen=True)
class SignUp:
    """A validated sign-up: `email` normalised, names non-empty, region known."""

    email: str
    password: str
    display_name: str
    organisation_name: str
    date_of_birth: date
    region: str
    accept_privacy_policy: bool
    marketing_opt_in: bool


def check_new_holder(
    *, email: str, password: str | None, date_of_birth: date | None, accept_privacy_policy: bool
) -> tuple[str, int]:
    """The rules every account is created under, whether by sign-up or by accepting an
    invitation: the privacy policy acknowledged (section 12), 18 or older (section 10),
    a strong password. Refusals happen before anything is written. Returns the password
    and the birth year (the only part of the date that is kept)."""
    require_policy_accepted(accept_privacy_policy)
    if date_of_birth is None:
        raise bad_input("dateOfBirth is required to create an account.", "dateOfBirth")
    require_adult(date_of_birth)
    if password is None:
        raise bad_input("Choose a password to create your account.", "password")
    require_strong_password(password, email)
    return password, date_of_birth.year


def check_sign_up(data: SignUp) -> None:
    if data.marketing_opt_in:
        raise bad_input(
            "Ledgerline sends no marketing to account holders; marketingOptIn must be false.",
            "marketingOptIn",
        )
    check_new_holder(
        email=data.email,
        password=data.password,
        date_of_birth=data.date_of_birth,
        accept_privacy_policy=data.accept_privacy_policy,
    )


async def holder_address(services: Services, email: str) -> str | None:
    """The stored address of the account registered with `email`, if there is one."""
    cipher = await services.keyring.platform_cipher(services.db)
    async with services.db.session(None) as session:
        found = (
            await session.execute(
                select(col(User.email_enc)).where(col(User.email_bidx) == cipher.blind_index(email))
            )
        ).scalar_one_or_none()
    return cipher.decrypt(found) if found is not None else None


async def sign_up(services: Services, data: SignUp) -> None:
    """A tenant, its owner and the policy acceptance in one transaction, and a welcome
    mail with the single-use link that verifies the address (`verifyEmail`); no
    credentials (the new owner signs in with logIn).

    An address that already has an account: nothing is created, its holder is told by
    mail, and the caller gets the very same answer after the same password-hash work
    (no enumeration, like logIn). Only the birth year is stored (policy section 10).
    Every refusal happens before, and regardless of, that lookup.
    """
    check_sign_up(data)
    email = data.email
    holder = await holder_address(services, email)
    if holder is not None:
        hash_password(data.password)  # the work create_user does for a new account
        mailer(services).send_later(mail.sign_up_attempt(to=holder))
        return
    async with services.db.session(None) as session:
        tenant = await create_tenant(services, session, data.organisation_name, data.region)
        user = await create_user(
            services, session, email, data.display_name, data.password, data.date_of_birth.year
        )
        await add_membership(session, tenant.id, user.id, Role.OWNER)
        token, link = await issue_link(session, user_id=user.id, kind=LinkKind.EMAIL_VERIFICATION)
        welcome = mail.welcome(
            to=email,
            display_name=data.display_name,
            verification_link=link_url(services, LinkKind.EMAIL_VERIFICATION, token),
            expires_at=link.expires_at,
        )
        send_after_commit(session, services, welcome)
        try:
            await session.commit()
        except IntegrityError:
            holder = await holder_address(services, email)
            if holder is None:
                raise
    if holder is not None:  # a concurrent sign-up with the same address won
        mailer(services).send_later(mail.sign_up_attempt(to=holder))
