"""core/mail.py: the message kinds, delivery over a real SMTP server (aiosmtpd on
127.0.0.1) or to the development outbox, and sending only after a commit."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from core import mail
from core.mail import Mailer, send_after_commit
from core.settings import Settings
from tests.security.conftest import Mailbox, _free_port, smtp_server  # noqa: F401

ADDRESS = "ada@example.com"


def over_smtp(settings: Settings, box: Mailbox) -> Mailer:
    configured = settings.model_copy(
        update={"smtp_host": box.host, "smtp_port": box.port, "smtp_tls": "off"}
    )
    box.mailer = Mailer(configured)
    return box.mailer


def test_each_kind_is_built_from_keywords_only() -> None:
    with pytest.raises(TypeError):
        mail.welcome(ADDRESS, "Ada")  # type: ignore[misc]
    built = [
        mail.welcome(to=ADDRESS, display_name="Ada"),
        mail.sign_up_attempt(to=ADDRESS),
        mail.invitation(
            to=ADDRESS,
            display_name=None,
            organisation="Acme",
            link="https://app.example/accept-invitation#token=T0K3N",
            expires_at=datetime(2026, 12, 9, 12, 0, tzinfo=UTC),
        ),
    ]
    assert [(m.kind, m.to) for m in built] == [
        ("welcome", ADDRESS),
        ("sign_up_attempt", ADDRESS),
        ("invitation", ADDRESS),
    ]
    assert "#token=T0K3N" in built[2].text
    assert "2026-12-09 12:00 UTC" in built[2].text


async def test_with_an_smtp_host_mail_is_sent_over_smtp(
    settings: Settings,
    smtp_server: Mailbox,  # noqa: F811
) -> None:
    await over_smtp(settings, smtp_server).deliver(mail.sign_up_attempt(to=ADDRESS))
    [message] = smtp_server.messages
    assert smtp_server.recipients == [[ADDRESS]]
    assert message["From"] == settings.mail_sender
    assert message["To"] == ADDRESS
    assert message["X-Ledgerline-Kind"] == "sign_up_attempt"


async def test_without_an_smtp_host_mail_goes_to_the_outbox_and_the_log_names_no_address(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    assert settings.smtp_host == ""
    link = "http://127.0.0.1:8000/accept-invitation#token=" + "T" * 64
    invitation = mail.invitation(
        to=ADDRESS,
        display_name="Zoë",
        organisation="Acme",
        link=link,
        expires_at=datetime(2026, 12, 9, 12, 0, tzinfo=UTC),
    )
    with caplog.at_level(logging.INFO, logger="ledgerline.mail"):
        await Mailer(settings).deliver(invitation)
    [written] = (settings.data_dir / "outbox").glob("*.eml")
    content = written.read_bytes()
    assert b"To: ada@example.com" in content
    assert link.encode() in content.splitlines()  # the link is one line, to copy
    assert "Hello Zoë,".encode() in content
    assert written.stat().st_mode & 0o077 == 0
    assert ADDRESS not in caplog.text and "TTTT" not in caplog.text
    assert "mail invitation written to" in caplog.text


async def test_send_later_returns_before_the_mail_is_delivered(
    settings: Settings,
    smtp_server: Mailbox,  # noqa: F811
) -> None:
    mailer = over_smtp(settings, smtp_server)
    mailer.send_later(mail.sign_up_attempt(to=ADDRESS))
    assert smtp_server.messages == []
    assert len(await smtp_server.settle()) == 1


async def test_an_undeliverable_mail_is_logged_without_its_address(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    closed = settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": _free_port(), "smtp_tls": "off"}
    )
    mailer = Mailer(closed)
    with caplog.at_level(logging.WARNING, logger="ledgerline.mail"):
        mailer.send_later(mail.sign_up_attempt(to=ADDRESS))
        await mailer.drain()
    assert "mail sign_up_attempt not delivered" in caplog.text
    assert ADDRESS not in caplog.text


async def test_mail_queued_on_a_session_is_sent_when_it_commits(
    services,
    smtp_server: Mailbox,  # noqa: F811
) -> None:
    services.extras["mailer"] = over_smtp(services.settings, smtp_server)
    async with services.db.session(None) as session:
        send_after_commit(session, services, mail.welcome(to=ADDRESS, display_name="Ada"))
        assert await smtp_server.settle() == []
        await session.commit()
    assert len(await smtp_server.settle()) == 1


async def test_mail_queued_on_a_session_that_rolls_back_is_never_sent(
    services,
    smtp_server: Mailbox,  # noqa: F811
) -> None:
    services.extras["mailer"] = over_smtp(services.settings, smtp_server)
    async with services.db.session(None) as session:
        send_after_commit(session, services, mail.welcome(to=ADDRESS, display_name="Ada"))
        await session.rollback()
        await session.commit()  # a later transaction of the same session sends nothing
    assert await smtp_server.settle() == []


async def test_mail_handed_over_before_shutdown_is_delivered(
    settings: Settings,
    smtp_server: Mailbox,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import asyncio

    from server.app import create_app

    real_send = mail.aiosmtplib.send

    async def slow_send(*args: object, **kwargs: object) -> object:
        await asyncio.sleep(0.3)  # still on its way when the server is told to stop
        return await real_send(*args, **kwargs)

    monkeypatch.setattr(mail.aiosmtplib, "send", slow_send)
    configured = settings.model_copy(
        update={"smtp_host": smtp_server.host, "smtp_port": smtp_server.port, "smtp_tls": "off"}
    )
    app = create_app(configured, migrate=False)
    async with app.router.lifespan_context(app):
        mail.mailer(app.state.services).send_later(mail.sign_up_attempt(to=ADDRESS))
    assert smtp_server.recipients == [[ADDRESS]]
