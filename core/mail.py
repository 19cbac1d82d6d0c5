"""Mail to account holders, invitees and privacy requesters: one keyword-only function
per message kind.

Messages are built here, never from free-form strings at the call site, so what a mail
may contain is reviewed in one place: the recipient's own address, the display name
they gave (or were given by the inviter), the organisation that invites them or that
a privacy request was made to and, for an invitation or a privacy request, its
single-use link. Nothing else about any account.

Delivery:
- with `LEDGERLINE_SMTP_HOST` set, through that server with `aiosmtplib`;
- without it (development), each message is written to `<data dir>/outbox/` as an
  `.eml` file (kept beside the database, like the other development files); the log
  line names only the kind and the file, never the address or a link.

Mail is sent after the transaction that caused it commits (`send_after_commit`), and
always in a background task (`Mailer.send_later`): the request's answer and timing never
wait for, or depend on, a mail (sign-up and invitations answer the same whether or not
an account exists).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING, Any

import aiosmtplib
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from core.settings import Settings
from models.base import utcnow

if TYPE_CHECKING:
    from core.services import Services

log = logging.getLogger("ledgerline.mail")

_PENDING = "ledgerline.mail.pending"
_MAILER = "mailer"


@dataclass(frozen=True)
class Mail:
    kind: str
    to: str
    subject: str
    text: str


# --- the messages -------------------------------------------------------------------


def welcome(
    *,
    to: str,
    display_name: str,
    verification_link: str | None = None,
    expires_at: datetime | None = None,
) -> Mail:
    """To a new account holder, after sign-up (with the single-use link that verifies
    the address) or an accepted invitation (whose link already proved it)."""
    verify = (
        "Please confirm that this address is yours with this link (it works once, until "
        f"{expires_at:%Y-%m-%d %H:%M} UTC):\n\n{verification_link}\n\n"
        if verification_link and expires_at
        else ""
    )
    return Mail(
        kind="welcome",
        to=to,
        subject="Welcome to Ledgerline",
        text=(
            f"Hello {display_name},\n\n"
            "your Ledgerline account is ready. Sign in with this email address and the "
            "password you chose.\n\n"
            f"{verify}"
            "If you did not create this account, reply to this message and we will "
            "remove it.\n"
        ),
    )


def email_change_verification(*, to: str, link: str, expires_at: datetime) -> Mail:
    """To the new sign-in address an account holder asked for: the single-use link that
    makes it the account's address (until then the old one keeps working)."""
    return Mail(
        kind="email_change_verification",
        to=to,
        subject="Confirm your new Ledgerline sign-in address",
        text=(
            "Hello,\n\n"
            "a Ledgerline account asked to use this address to sign in. Confirm it with "
            f"this link (it works once, until {expires_at:%Y-%m-%d %H:%M} UTC):\n\n"
            f"{link}\n\n"
            "Nothing changes until you do. If you did not ask for this, ignore this message.\n"
        ),
    )


def email_change_requested(*, to: str) -> Mail:
    """To the current sign-in address when its holder asks to change it (the new
    address is not named)."""
    return Mail(
        kind="email_change_requested",
        to=to,
        subject="A change of your Ledgerline sign-in address was requested",
        text=(
            "Hello,\n\n"
            "someone signed in to your Ledgerline account asked to change its sign-in "
            "address. This address keeps working until the new one is confirmed.\n\n"
            "If it was not you, reset your password now: that also signs out every session.\n"
        ),
    )


def password_reset(*, to: str, link: str, expires_at: datetime) -> Mail:
    """To an account's address when a reset was requested for it (the token is only
    in this mail). An address with no account gets nothing."""
    return Mail(
        kind="password_reset",
        to=to,
        subject="Reset your Ledgerline password",
        text=(
            "Hello,\n\n"
            "a password reset was requested for the Ledgerline account with this address. "
            f"Choose a new password with this link (it works once, until "
            f"{expires_at:%Y-%m-%d %H:%M} UTC):\n\n{link}\n\n"
            "Resetting signs out every session of the account. If you did not ask for "
            "this, ignore this message: your password stays as it is.\n"
        ),
    )


def sign_up_attempt(*, to: str) -> Mail:
    """To an existing account holder when someone signs up with their address."""
    return Mail(
        kind="sign_up_attempt",
        to=to,
        subject="Someone tried to create a Ledgerline account with your address",
        text=(
            "Hello,\n\n"
            "someone tried to create a new Ledgerline account with your email address, "
            "which already has an account. Nothing was changed.\n\n"
            "If it was you, sign in with your existing account, or reset your password "
            "if you no longer know it. If it was not you, you can ignore this message.\n"
        ),
    )


def invitation(
    *, to: str, display_name: str | None, organisation: str, link: str, expires_at: datetime
) -> Mail:
    """To an invitee: the single-use link to accept (the token is only in this mail)."""
    greeting = f"Hello {display_name}," if display_name else "Hello,"
    return Mail(
        kind="invitation",
        to=to,
        subject=f"You are invited to join {organisation} on Ledgerline",
        text=(
            f"{greeting}\n\n"
            f"you are invited to join {organisation} on Ledgerline. Accept the invitation "
            f"here (the link works once, until {expires_at:%Y-%m-%d %H:%M} UTC):\n\n"
            f"{link}\n\n"
            "If you already have a Ledgerline account with this address, sign in as it "
            "to accept. If you did not expect this invitation, ignore this message.\n"
        ),
    )


def privacy_request_verification(
    *, to: str, organisation: str, kind: str, link: str, expires_at: datetime
) -> Mail:
    """To the address given with a privacy request through the public intake: the
    single-use link that verifies it (the token is only in this mail). Says nothing
    about whether the organisation holds data about the address."""
    return Mail(
        kind="privacy_request_verification",
        to=to,
        subject=f"Confirm your privacy request to {organisation}",
        text=(
            "Hello,\n\n"
            f"a privacy request ({kind}) was made to {organisation} with this email "
            "address. To confirm that it was you, open this link (it works once, until "
            f"{expires_at:%Y-%m-%d %H:%M} UTC):\n\n"
            f"{link}\n\n"
            "Nothing happens until the request is confirmed. If you did not make it, "
            "ignore this message.\n"
        ),
    )


# --- delivery -----------------------------------------------------------------------


class Mailer:
    """Sends `Mail` through SMTP, or writes it to the outbox when no host is set."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._tasks: set[asyncio.Task[None]] = set()

    def message(self, mail: Mail, *, for_outbox: bool = False) -> EmailMessage:
        """The MIME message. ASCII text stays 7bit, so a link is one line of the file;
        other text is quoted-printable over SMTP and plain UTF-8 in the outbox."""
        msg = EmailMessage()
        msg["From"] = self.settings.mail_sender
        msg["To"] = mail.to
        msg["Subject"] = mail.subject
        msg["Date"] = format_datetime(utcnow())
        msg["Message-ID"] = make_msgid(domain="ledgerline.invalid")
        msg["X-Ledgerline-Kind"] = mail.kind
        if mail.text.isascii():
            msg.set_content(mail.text, cte="7bit")
        elif for_outbox:
            msg.set_content(mail.text, cte="8bit")
        else:
            msg.set_content(mail.text)
        return msg

    async def deliver(self, mail: Mail) -> None:
        settings = self.settings
        message = self.message(mail, for_outbox=not settings.smtp_host)
        if not settings.smtp_host:
            outbox = settings.data_dir / "outbox"
            outbox.mkdir(parents=True, exist_ok=True)
            path = outbox / f"{utcnow():%Y%m%dT%H%M%S}-{mail.kind}-{uuid.uuid4().hex[:8]}.eml"
            path.write_bytes(message.as_bytes())
            path.chmod(0o600)
            log.info("mail %s written to %s", mail.kind, path.name)
            return
        await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username or None,
            password=settings.smtp_password or None,
            use_tls=settings.smtp_tls == "tls",
            start_tls=settings.smtp_tls == "starttls",
            timeout=30,
        )

    async def _deliver_logged(self, mail: Mail) -> None:
        try:
            await self.deliver(mail)
        except Exception as exc:  # a mail never fails the request that caused it
            log.warning("mail %s not delivered: %s", mail.kind, type(exc).__name__)

    def send_later(self, mail: Mail) -> None:
        """Deliver in a background task; returns at once."""
        task = asyncio.get_running_loop().create_task(self._deliver_logged(mail))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for every mail handed over so far (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks))


def mailer(services: Services) -> Mailer:
    """The process's mailer (`services.extras["mailer"]`, made on first use)."""
    found: Mailer | None = services.extras.get(_MAILER)
    if found is None:
        found = services.extras[_MAILER] = Mailer(services.settings)
    return found


def send_after_commit(session: AsyncSession | Session, services: Services, mail: Mail) -> None:
    """Queue `mail` on `session`: sent when its transaction commits, dropped if it rolls
    back (a refused mutation mails nobody)."""
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    if not sync.in_transaction():
        sync.begin()  # the transaction the mail belongs to (no connection is taken yet)
    session.info.setdefault(_PENDING, []).append((mailer(services), mail))


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    for sender, mail in session.info.pop(_PENDING, ()):
        sender.send_later(mail)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction: Any) -> None:
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)
