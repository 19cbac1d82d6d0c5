"""Issue 10, "Account holders": verified addresses, password reset, deleting one's own
account and the objection to sale or sharing, probed over HTTP like any client.

Mail goes to a real SMTP server (aiosmtpd on 127.0.0.1) and the links are read from
the messages it received. The demo's acme tenant has one member per role; its owner is
its only owner.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, text, update

from auth.permissions import Role
from models import AccountChoiceEvent, AccountToken, AuditEvent, User
from models.base import utcnow
from server.seed import DEMO_PASSWORD
from tests.security.conftest import Demo, Mailbox, unique_email

SIGN_UP = "mutation($input: SignUpInput!) { signUp(input: $input) { ok message } }"
VERIFY = "mutation($t: String!) { verifyEmail(token: $t) { ok message } }"
REQUEST_RESET = "mutation($e: String!) { requestPasswordReset(email: $e) { ok message } }"
RESET = """
mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) { ok message } }
"""
CHANGE = """
mutation($e: String!, $p: String!) { changeEmail(newEmail: $e, password: $p) { ok message } }
"""
LOG_IN = """
mutation($e: String!, $p: String!) {
  logIn(email: $e, password: $p) { accessToken refreshToken me { emailVerifiedAt } }
}
"""
REFRESH = "mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken } }"
ME = "{ me { displayName email emailVerifiedAt } }"
UPDATE_ME = "mutation($n: String!) { updateMe(displayName: $n) { me { displayName } } }"
DELETE = "mutation($p: String!) { deleteMyAccount(password: $p) { ok membershipsEnded } }"
CHOICES = "{ myPrivacyChoices { optedOutOfSaleSharing history { purpose status source } } }"
OPT_OUT = "mutation { optOutOfSaleSharing { optedOutOfSaleSharing history { source } } }"
NEW_PASSWORD = "a completely new passphrase 2027"
SIGN_UP_PASSWORD = "a brand new passphrase 2026"


def code(answer: dict[str, Any]) -> str:
    return answer["errors"][0]["extensions"]["code"]


async def link_token(mailbox: Mailbox, address: str, kind: str) -> str:
    """The token of the newest link of `kind` mailed to `address`."""
    messages = [
        m for m in await mailbox.settle() if m["To"] == address and m["X-Ledgerline-Kind"] == kind
    ]
    assert messages, f"no {kind} mail to {address}"
    found = re.search(r"/[a-z-]+#token=([A-Za-z0-9_-]+)", messages[-1].get_content())
    assert found is not None
    return found.group(1)


async def sign_up(demo: Demo, email: str) -> None:
    values = {
        "email": email,
        "password": SIGN_UP_PASSWORD,
        "displayName": "New Holder",
        "organisationName": "New Holder Ltd",
        "dateOfBirth": "1990-01-01",
        "acceptPrivacyPolicy": True,
    }
    assert "errors" not in await demo.gql(SIGN_UP, {"input": values})


async def log_in(demo: Demo, email: str, password: str) -> dict[str, Any]:
    return await demo.gql(LOG_IN, {"e": email, "p": password})


def bearer(answer: dict[str, Any]) -> dict[str, str]:
    return {"authorization": f"Bearer {answer['data']['logIn']['accessToken']}"}


async def user_by_id(demo: Demo, user_id: Any) -> User | None:
    async with demo.services.db.session(None) as session:
        return await session.get(User, user_id)


async def tokens(demo: Demo) -> list[AccountToken]:
    async with demo.services.db.session(None) as session:
        return list((await session.execute(select(AccountToken))).scalars())


# --- email verification at sign-up ----------------------------------------------------


async def test_sign_up_mails_a_link_that_verifies_the_address(demo: Demo, mailbox: Mailbox) -> None:
    address = unique_email()
    await sign_up(demo, address)
    before = await log_in(demo, address, SIGN_UP_PASSWORD)
    token = await link_token(mailbox, address, "welcome")
    answer = await demo.gql(VERIFY, {"t": token})
    after = await log_in(demo, address, SIGN_UP_PASSWORD)
    assert answer["data"]["verifyEmail"]["ok"] is True
    assert before["data"]["logIn"]["me"]["emailVerifiedAt"] is None
    assert after["data"]["logIn"]["me"]["emailVerifiedAt"] is not None


async def test_only_the_sha256_of_a_link_token_is_stored(demo: Demo, mailbox: Mailbox) -> None:
    address = unique_email()
    await sign_up(demo, address)
    token = await link_token(mailbox, address, "welcome")
    stored = [t.token_hash for t in await tokens(demo)]
    assert stored == [hashlib.sha256(token.encode()).digest()]
    assert token.encode() not in repr(await tokens(demo)).encode()


async def test_a_verification_link_works_once(demo: Demo, mailbox: Mailbox) -> None:
    address = unique_email()
    await sign_up(demo, address)
    token = await link_token(mailbox, address, "welcome")
    assert "errors" not in await demo.gql(VERIFY, {"t": token})
    assert code(await demo.gql(VERIFY, {"t": token})) == "ACCOUNT_LINK_INVALID"


async def test_an_expired_verification_link_is_refused(demo: Demo, mailbox: Mailbox) -> None:
    address = unique_email()
    await sign_up(demo, address)
    token = await link_token(mailbox, address, "welcome")
    async with demo.services.db.session(None) as session:
        await session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(1)))
        await session.commit()
    assert code(await demo.gql(VERIFY, {"t": token})) == "ACCOUNT_LINK_INVALID"


async def test_an_invited_account_is_verified_by_its_invitation(
    demo: Demo, mailbox: Mailbox
) -> None:
    from tests.security.test_invitations import accept, invite, new_account, token_for

    address = unique_email()
    await invite(demo, address)
    assert "errors" not in await accept(demo, await token_for(mailbox, address), **new_account())
    answer = await log_in(demo, address, new_account()["password"])
    assert answer["data"]["logIn"]["me"]["emailVerifiedAt"] is not None


# --- changing the sign-in address ----------------------------------------------------


async def test_a_new_address_signs_in_only_once_its_link_is_used(
    demo: Demo, mailbox: Mailbox
) -> None:
    old, new = demo.email("acme", Role.SALES), unique_email()
    headers = await demo.headers("acme", Role.SALES)
    assert "errors" not in await demo.gql(CHANGE, {"e": new, "p": DEMO_PASSWORD}, headers)
    assert "errors" not in await log_in(demo, old, DEMO_PASSWORD)
    assert code(await log_in(demo, new, DEMO_PASSWORD)) == "INVALID_CREDENTIALS"
    assert "errors" not in await demo.gql(
        VERIFY, {"t": await link_token(mailbox, new, "email_change_verification")}
    )
    assert "errors" not in await log_in(demo, new, DEMO_PASSWORD)
    assert code(await log_in(demo, old, DEMO_PASSWORD)) == "INVALID_CREDENTIALS"


async def test_the_old_address_is_told_of_a_change_without_the_new_one(
    demo: Demo, mailbox: Mailbox
) -> None:
    old, new = demo.email("acme", Role.SALES), unique_email()
    headers = await demo.headers("acme", Role.SALES)
    await demo.gql(CHANGE, {"e": new, "p": DEMO_PASSWORD}, headers)
    [told] = [m for m in await mailbox.settle() if m["To"] == old]
    assert told["X-Ledgerline-Kind"] == "email_change_requested"
    assert new not in told.get_content()


async def test_changing_the_address_needs_the_password(demo: Demo, mailbox: Mailbox) -> None:
    headers = await demo.headers("acme", Role.SALES)
    answer = await demo.gql(CHANGE, {"e": unique_email(), "p": "not the password"}, headers)
    assert code(answer) == "INVALID_CREDENTIALS"
    assert await mailbox.settle() == [] and await tokens(demo) == []


async def test_changing_to_an_address_with_an_account_answers_alike_and_links_nothing(
    demo: Demo, mailbox: Mailbox
) -> None:
    headers = await demo.headers("acme", Role.SALES)
    taken = demo.email("globex", Role.SALES)
    to_taken = await demo.gql(CHANGE, {"e": taken, "p": DEMO_PASSWORD}, headers)
    to_fresh = await demo.gql(CHANGE, {"e": unique_email(), "p": DEMO_PASSWORD}, headers)
    assert to_taken == to_fresh and "errors" not in to_taken
    assert taken not in {m["To"] for m in await mailbox.settle()}


# --- updateMe -------------------------------------------------------------------------


async def test_update_me_changes_the_display_name(demo: Demo) -> None:
    headers = await demo.headers("acme", Role.SALES)
    answer = await demo.gql(UPDATE_ME, {"n": "  Renamed Person "}, headers)
    assert answer["data"]["updateMe"]["me"]["displayName"] == "Renamed Person"
    user = await user_by_id(demo, demo.tenants["acme"].users[Role.SALES])
    assert user is not None and user.display_name == "Renamed Person"


# --- password reset ------------------------------------------------------------------


async def test_a_reset_request_answers_known_and_unknown_addresses_identically(
    demo: Demo, mailbox: Mailbox
) -> None:
    known = await demo.gql(REQUEST_RESET, {"e": demo.email("acme", Role.SALES)})
    unknown = await demo.gql(REQUEST_RESET, {"e": unique_email()})
    assert known == unknown
    assert known["data"]["requestPasswordReset"]["ok"] is True


async def test_a_reset_link_is_mailed_only_to_an_accounts_address(
    demo: Demo, mailbox: Mailbox
) -> None:
    known, unknown = demo.email("acme", Role.SALES), unique_email()
    await demo.gql(REQUEST_RESET, {"e": known})
    await demo.gql(REQUEST_RESET, {"e": unknown})
    messages = await mailbox.settle()
    assert [(m["To"], m["X-Ledgerline-Kind"]) for m in messages] == [(known, "password_reset")]


async def test_a_reset_sets_the_new_password_and_revokes_every_session(
    demo: Demo, mailbox: Mailbox
) -> None:
    address = demo.email("acme", Role.SALES)
    signed_in = await log_in(demo, address, DEMO_PASSWORD)
    await demo.gql(REQUEST_RESET, {"e": address})
    token = await link_token(mailbox, address, "password_reset")
    assert "errors" not in await demo.gql(RESET, {"t": token, "p": NEW_PASSWORD})
    old_bearer = await demo.client.post("/graphql", json={"query": ME}, headers=bearer(signed_in))
    refreshed = await demo.gql(REFRESH, {"r": signed_in["data"]["logIn"]["refreshToken"]})
    assert old_bearer.status_code == 401
    assert code(refreshed) == "UNAUTHENTICATED"
    assert code(await log_in(demo, address, DEMO_PASSWORD)) == "INVALID_CREDENTIALS"
    assert "errors" not in await log_in(demo, address, NEW_PASSWORD)


async def test_a_reset_link_works_once(demo: Demo, mailbox: Mailbox) -> None:
    address = demo.email("acme", Role.SALES)
    await demo.gql(REQUEST_RESET, {"e": address})
    token = await link_token(mailbox, address, "password_reset")
    assert "errors" not in await demo.gql(RESET, {"t": token, "p": NEW_PASSWORD})
    again = await demo.gql(RESET, {"t": token, "p": "yet another passphrase 2028"})
    assert code(again) == "ACCOUNT_LINK_INVALID"


async def test_an_expired_reset_link_is_refused(demo: Demo, mailbox: Mailbox) -> None:
    address = demo.email("acme", Role.SALES)
    await demo.gql(REQUEST_RESET, {"e": address})
    token = await link_token(mailbox, address, "password_reset")
    async with demo.services.db.session(None) as session:
        await session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(1)))
        await session.commit()
    assert code(await demo.gql(RESET, {"t": token, "p": NEW_PASSWORD})) == "ACCOUNT_LINK_INVALID"


async def test_a_weak_new_password_is_refused_and_the_link_still_works(
    demo: Demo, mailbox: Mailbox
) -> None:
    address = demo.email("acme", Role.SALES)
    await demo.gql(REQUEST_RESET, {"e": address})
    token = await link_token(mailbox, address, "password_reset")
    assert code(await demo.gql(RESET, {"t": token, "p": "short"})) == "WEAK_PASSWORD"
    assert "errors" not in await demo.gql(RESET, {"t": token, "p": NEW_PASSWORD})


async def test_only_the_newest_reset_link_works(demo: Demo, mailbox: Mailbox) -> None:
    address = demo.email("acme", Role.SALES)
    await demo.gql(REQUEST_RESET, {"e": address})
    first = await link_token(mailbox, address, "password_reset")
    await demo.gql(REQUEST_RESET, {"e": address})
    assert code(await demo.gql(RESET, {"t": first, "p": NEW_PASSWORD})) == "ACCOUNT_LINK_INVALID"


# --- deleting one's own account ------------------------------------------------------


async def test_deleting_with_a_wrong_password_is_refused_and_changes_nothing(
    demo: Demo,
) -> None:
    headers = await demo.headers("acme", Role.SALES)
    answer = await demo.gql(DELETE, {"p": "not the password"}, headers)
    assert code(answer) == "INVALID_CREDENTIALS"
    assert await user_by_id(demo, demo.tenants["acme"].users[Role.SALES]) is not None
    assert "errors" not in await demo.gql(ME, None, headers)


async def test_the_last_owner_cannot_delete_their_account(demo: Demo) -> None:
    headers = await demo.headers("acme", Role.OWNER)
    answer = await demo.gql(DELETE, {"p": DEMO_PASSWORD}, headers)
    assert code(answer) == "LAST_OWNER"
    assert answer["errors"][0]["extensions"]["tenant"] == "acme"
    assert await user_by_id(demo, demo.tenants["acme"].users[Role.OWNER]) is not None


async def test_the_answer_to_deleting_an_account_carries_no_policy_notice(demo: Demo) -> None:
    headers = await demo.headers("acme", Role.SALES)
    answer = await demo.gql(DELETE, {"p": DEMO_PASSWORD}, headers)
    assert answer == {"data": {"deleteMyAccount": {"ok": True, "membershipsEnded": 1}}}


async def test_deleting_erases_the_account_and_ends_its_sessions(demo: Demo) -> None:
    user_id = demo.tenants["acme"].users[Role.SALES]
    address = demo.email("acme", Role.SALES)
    headers = await demo.headers("acme", Role.SALES)
    answer = await demo.gql(DELETE, {"p": DEMO_PASSWORD}, headers)
    assert answer["data"]["deleteMyAccount"] == {"ok": True, "membershipsEnded": 1}
    assert await user_by_id(demo, user_id) is None
    async with demo.services.db.session(None) as session:
        session.info["allow_text_sql"] = True
        left = {
            table: (
                await session.execute(
                    text(f"SELECT count(*) FROM {table} WHERE user_id = :u"), {"u": user_id.hex}
                )
            ).scalar_one()
            for table in ("membership", "auth_session", "policy_acceptance", "account_token")
        }
    assert left == dict.fromkeys(left, 0)
    after = await demo.client.post("/graphql", json={"query": ME}, headers=headers)
    assert after.status_code == 401
    assert code(await log_in(demo, address, DEMO_PASSWORD)) == "INVALID_CREDENTIALS"


async def test_the_deletion_is_audited_without_personal_data(demo: Demo) -> None:
    user_id = demo.tenants["acme"].users[Role.SALES]
    address = demo.email("acme", Role.SALES)
    user = await user_by_id(demo, user_id)
    assert user is not None
    headers = await demo.headers("acme", Role.SALES)
    await demo.gql(DELETE, {"p": DEMO_PASSWORD}, headers)
    async with demo.services.db.session(demo.tenants["acme"].tenant_id) as session:
        [event] = (
            await session.execute(select(AuditEvent).where(AuditEvent.action == "account_deleted"))
        ).scalars()
    assert event.actor_id == user_id
    assert event.detail == f"account {user_id} memberships 1"
    assert address not in repr(event) and user.display_name not in repr(event)


# --- objection to sale or sharing ----------------------------------------------------


async def choice_events(demo: Demo) -> int:
    async with demo.services.db.session(None) as session:
        return (await session.execute(select(func.count(AccountChoiceEvent.id)))).scalar_one()


async def test_the_gpc_header_records_one_objection_however_often_it_is_sent(
    demo: Demo,
) -> None:
    headers = {**await demo.headers("acme", Role.SALES), "sec-gpc": "1"}
    first = await demo.gql(CHOICES, None, headers)
    answer = await demo.gql(CHOICES, None, headers)
    assert first == answer
    assert answer["data"]["myPrivacyChoices"] == {
        "optedOutOfSaleSharing": True,
        "history": [{"purpose": "THIRD_PARTY_SHARING", "status": "objected", "source": "gpc"}],
    }
    assert await choice_events(demo) == 1


async def test_without_the_gpc_header_nothing_is_recorded(demo: Demo) -> None:
    headers = await demo.headers("acme", Role.SALES)
    answer = await demo.gql(CHOICES, None, headers)
    assert answer["data"]["myPrivacyChoices"] == {"optedOutOfSaleSharing": False, "history": []}


async def test_the_explicit_opt_out_is_recorded_once(demo: Demo) -> None:
    headers = await demo.headers("acme", Role.SALES)
    first = await demo.gql(OPT_OUT, None, headers)
    second = await demo.gql(OPT_OUT, None, headers)
    assert first == second
    assert first["data"]["optOutOfSaleSharing"] == {
        "optedOutOfSaleSharing": True,
        "history": [{"source": "account_settings"}],
    }


async def test_the_objection_is_audited(demo: Demo) -> None:
    headers = await demo.headers("acme", Role.SALES)
    await demo.gql(OPT_OUT, None, headers)
    async with demo.services.db.session(demo.tenants["acme"].tenant_id) as session:
        actions = (
            await session.execute(
                select(AuditEvent.action).where(
                    AuditEvent.actor_id == demo.tenants["acme"].users[Role.SALES]
                )
            )
        ).scalars()
        assert "account_sale_sharing_objected" in set(actions)


async def test_the_choice_history_refuses_update_and_delete(demo: Demo) -> None:
    headers = await demo.headers("acme", Role.SALES)
    await demo.gql(OPT_OUT, None, headers)
    refused = []
    for statement in (
        "UPDATE account_choice_event SET status = 'x'",
        "DELETE FROM account_choice_event",
    ):
        async with demo.services.db.session(None) as session:
            session.info["allow_text_sql"] = True
            try:
                await session.execute(text(statement))
            except Exception as exc:  # noqa: BLE001  (the trigger's abort, whatever the driver)
                refused.append("append-only" in str(exc))
    assert refused == [True, True]
    assert await choice_events(demo) == 1
