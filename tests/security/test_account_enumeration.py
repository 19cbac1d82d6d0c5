"""Issue 8: `signUp` must not tell whether an address already has an account.

The attacker signs up over HTTP with an address that has an account (the demo's globex
sales user) and with a fresh one: the status, the whole JSON answer, the cookies and the
password-hash work are the same; nothing is created for the taken address; its holder
is told by mail (a real SMTP server receives it), and a new owner gets a welcome.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

import auth.passwords
from auth.permissions import Role
from tests.security.conftest import Demo, Mailbox, unique_email

SIGN_UP = """
mutation($input: SignUpInput!) { signUp(input: $input) { ok message } }
"""
TABLES = ("tenant", "app_user", "membership", "policy_acceptance", "auth_session", "tenant_key")
PASSWORD = "a brand new passphrase 2026"
DISPLAY_NAME = "Probe Person"
ORGANISATION = "Probe Holdings"


def sign_up_input(email: str, **overrides: Any) -> dict[str, Any]:
    values = {
        "email": email,
        "password": PASSWORD,
        "displayName": DISPLAY_NAME,
        "organisationName": ORGANISATION,
        "dateOfBirth": "1991-04-17",
        "acceptPrivacyPolicy": True,
    }
    values.update(overrides)
    return values


async def sign_up(demo: Demo, email: str, **overrides: Any) -> tuple[int, dict[str, Any], list]:
    """(status, whole JSON answer, Set-Cookie headers) of one signUp over HTTP."""
    response = await demo.client.post(
        "/graphql",
        json={"query": SIGN_UP, "variables": {"input": sign_up_input(email, **overrides)}},
        headers={"accept": "application/json"},
    )
    cookies = response.headers.get_list("set-cookie")
    demo.client.cookies.clear()
    return response.status_code, response.json(), cookies


async def counts(demo: Demo) -> dict[str, int]:
    async with demo.services.db.session(None) as session:
        session.info["allow_text_sql"] = True
        return {
            t: (await session.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one()
            for t in TABLES
        }


def taken(demo: Demo) -> str:
    """An address with an account (in globex only)."""
    return demo.tenants["globex"].emails[Role.SALES]


async def test_sign_up_answers_a_taken_address_exactly_like_a_fresh_one(demo: Demo) -> None:
    existing = await sign_up(demo, taken(demo))
    fresh = await sign_up(demo, unique_email())
    assert existing == fresh
    assert existing[1]["data"]["signUp"]["ok"] is True


async def test_sign_up_with_a_taken_address_is_answered_ok_and_creates_nothing(
    demo: Demo,
) -> None:
    before = await counts(demo)
    status, answer, cookies = await sign_up(demo, taken(demo))
    assert (status, "errors" in answer, cookies) == (200, False, [])
    assert await counts(demo) == before


async def test_sign_up_hands_out_no_credentials(demo: Demo) -> None:
    before = await counts(demo)
    status, answer, cookies = await sign_up(demo, unique_email())
    assert status == 200
    assert answer["data"]["signUp"]["ok"] is True
    assert cookies == []
    assert (await counts(demo))["auth_session"] == before["auth_session"]


async def test_sign_up_does_the_same_password_hash_work_for_a_taken_address(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = auth.passwords._hasher
    calls: list[str] = []

    class Counting:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def hash(self, password: str, **kwargs: Any) -> str:
            calls.append(password)
            return real.hash(password, **kwargs)

    monkeypatch.setattr(auth.passwords, "_hasher", Counting())
    await sign_up(demo, taken(demo))
    for_taken = list(calls)
    calls.clear()
    await sign_up(demo, unique_email())
    assert for_taken == calls == [PASSWORD]


async def test_sign_up_with_a_taken_address_mails_its_holder(demo: Demo, mailbox: Mailbox) -> None:
    await sign_up(demo, taken(demo), organisationName="Attacker Org")
    [message] = await mailbox.settle()
    body = message.get_content()
    assert mailbox.recipients == [[taken(demo)]]
    assert message["To"] == taken(demo)
    assert message["X-Ledgerline-Kind"] == "sign_up_attempt"
    assert "someone tried to create a new Ledgerline account with your email address" in body
    assert "sign in" in body and "reset your password" in body
    assert "Attacker Org" not in body and PASSWORD not in body


async def test_sign_up_of_a_new_account_mails_a_welcome_with_only_the_display_name(
    demo: Demo, mailbox: Mailbox
) -> None:
    address = unique_email()
    await sign_up(demo, address, dateOfBirth="1991-04-17")
    [message] = await mailbox.settle()
    body = message.get_content()
    assert mailbox.recipients == [[address]]
    assert message["X-Ledgerline-Kind"] == "welcome"
    assert f"Hello {DISPLAY_NAME}," in body
    for private in (address, "1991", PASSWORD, ORGANISATION):
        assert private not in body
