"""Issue 8: `inviteMember` disclosed another tenant's account (its own display name) and
added it silently. Now it records an invitation: the answer is the same whether or not
the address has an account anywhere, shows only what the inviter gave, and nobody
joins until the person accepts the single-use link mailed to them.

Probes go over HTTP as acme's owner or admin; globex's sales user is an account that
exists only in globex. Mail goes to a real SMTP server (aiosmtpd) on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select, text, update

from auth.permissions import Role
from models import Invitation, Membership, User
from models.base import utcnow
from resolvers.global_ids import encode_id
from server.seed import DEMO_PASSWORD
from tests.security.conftest import Demo, Mailbox, unique_email

INVITE = """
mutation($email: String!, $role: Role!, $name: String) {
  inviteMember(email: $email, role: $role, displayName: $name) {
    invitation { id email displayName role status createdAt expiresAt }
  }
}
"""
ACCEPT = """
mutation($input: AcceptInvitationInput!) {
  acceptInvitation(input: $input) { ok role tenant { id name } }
}
"""
INVITATIONS = "{ invitations { id email displayName role status } }"
REVOKE = """
mutation($id: ID!) { revokeInvitation(invitation: $id) { invitation { id status } } }
"""
LOG_IN = """
mutation($email: String!, $password: String!, $tenant: ID) {
  logIn(email: $email, password: $password, tenant: $tenant) { me { role currentTenant { id } } }
}
"""
GIVEN_NAME = "Given By Inviter"
NEW_PASSWORD = "a fresh passphrase for ledgerline"
TABLES = ("app_user", "membership", "policy_acceptance", "invitation")


def outsider(demo: Demo) -> str:
    """An address with an account in globex only."""
    return demo.tenants["globex"].emails[Role.SALES]


def code(answer: dict[str, Any]) -> str:
    return answer["errors"][0]["extensions"]["code"]


async def invite(
    demo: Demo, email: str, role: str = "SALES", name: str | None = GIVEN_NAME, as_role=Role.OWNER
) -> dict[str, Any]:
    headers = await demo.headers("acme", as_role)
    return await demo.gql(INVITE, {"email": email, "role": role, "name": name}, headers)


async def token_for(mailbox: Mailbox, address: str) -> str:
    """The token of the newest invitation link mailed to `address`."""
    messages = [m for m in await mailbox.settle() if m["To"] == address]
    assert messages, f"no mail to {address}"
    found = re.search(r"/accept-invitation#token=([A-Za-z0-9_-]+)", messages[-1].get_content())
    assert found is not None
    return found.group(1)


async def accept(demo: Demo, token: str, headers: dict[str, str] | None = None, **fields: Any):
    return await demo.gql(ACCEPT, {"input": {"token": token, **fields}}, headers)


def new_account(**overrides: Any) -> dict[str, Any]:
    values = {"password": NEW_PASSWORD, "dateOfBirth": "1988-02-03", "acceptPrivacyPolicy": True}
    values.update(overrides)
    return values


async def counts(demo: Demo) -> dict[str, int]:
    async with demo.services.db.session(None) as session:
        session.info["allow_text_sql"] = True
        return {
            t: (await session.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one()
            for t in TABLES
        }


async def acme_members(demo: Demo) -> dict[uuid.UUID, str]:
    acme = demo.tenants["acme"].tenant_id
    async with demo.services.db.session(acme) as session:
        return dict((await session.execute(select(Membership.user_id, Membership.role))).all())


async def acme_invitations(demo: Demo) -> list[Invitation]:
    async with demo.services.db.session(demo.tenants["acme"].tenant_id) as session:
        return list((await session.execute(select(Invitation))).scalars())


def comparable(answer: dict[str, Any], email: str) -> dict[str, Any]:
    """The answer without what differs by nature: the random id, the clock's timestamps
    and the address that was typed in."""
    invitation = dict(answer["data"]["inviteMember"]["invitation"])
    for key in ("id", "createdAt", "expiresAt"):
        invitation.pop(key)
    assert invitation.pop("email") == email
    return {**answer, "data": {"inviteMember": {"invitation": invitation}}}


# --- inviting ------------------------------------------------------------------------


async def test_inviting_another_tenants_account_answers_like_a_fresh_address(
    demo: Demo,
) -> None:
    fresh_email = unique_email()
    existing = await invite(demo, outsider(demo))
    fresh = await invite(demo, fresh_email)
    assert "errors" not in existing
    assert comparable(existing, outsider(demo)) == comparable(fresh, fresh_email)


async def test_inviting_another_tenants_account_shows_only_what_the_inviter_gave(
    demo: Demo,
) -> None:
    async with demo.services.db.session(None) as session:
        real_name = (
            await session.execute(
                select(User.display_name).where(User.id == demo.tenants["globex"].users[Role.SALES])
            )
        ).scalar_one()
    answer = await invite(demo, outsider(demo), name=None)
    invitation = answer["data"]["inviteMember"]["invitation"]
    assert (invitation["email"], invitation["displayName"], invitation["status"]) == (
        outsider(demo),
        None,
        "PENDING",
    )
    assert real_name not in repr(answer)


async def test_inviting_an_existing_account_adds_no_membership(demo: Demo) -> None:
    before = await acme_members(demo)
    answer = await invite(demo, outsider(demo))
    assert answer["data"]["inviteMember"]["invitation"]["status"] == "PENDING"
    assert await acme_members(demo) == before


async def test_the_invitee_is_mailed_a_link_whose_token_is_stored_only_hashed(
    demo: Demo, mailbox: Mailbox
) -> None:
    address = unique_email()
    await invite(demo, address)
    [message] = await mailbox.settle()
    assert mailbox.recipients == [[address]]
    assert message["X-Ledgerline-Kind"] == "invitation"
    assert f"Hello {GIVEN_NAME}," in message.get_content()
    token = await token_for(mailbox, address)
    [stored] = await acme_invitations(demo)
    assert stored.token_hash == hashlib.sha256(token.encode()).digest()
    assert token.encode() not in repr(stored.__dict__).encode()
    assert address.encode() not in stored.email_enc


async def test_the_mail_to_an_existing_account_is_the_mail_to_a_fresh_address(
    demo: Demo, mailbox: Mailbox
) -> None:
    fresh_email = unique_email()
    await invite(demo, outsider(demo))
    await invite(demo, fresh_email)
    # Mails go out from background tasks: they may arrive in either order.
    by_recipient = {str(m["To"]): m for m in await mailbox.settle()}
    existing, fresh = by_recipient[outsider(demo)], by_recipient[fresh_email]

    def shape(message: Any, address: str, token: str) -> tuple[str, str]:
        body = message.get_content().replace(token, "<token>").replace(address, "<to>")
        return message["Subject"], re.sub(r"until [0-9: -]+ UTC", "until <time>", body)

    assert shape(existing, outsider(demo), await token_for(mailbox, outsider(demo))) == shape(
        fresh, fresh_email, await token_for(mailbox, fresh_email)
    )


async def test_a_refused_invitation_writes_nothing_and_mails_nobody(
    demo: Demo, mailbox: Mailbox
) -> None:
    before = await counts(demo)
    answer = await invite(demo, unique_email(), role="OWNER", as_role=Role.ADMIN)
    assert code(answer) == "FORBIDDEN"
    assert await counts(demo) == before
    assert await mailbox.settle() == []


# --- accepting -------------------------------------------------------------------------


async def test_the_signed_in_holder_accepts_and_becomes_a_member(
    demo: Demo, mailbox: Mailbox
) -> None:
    await invite(demo, outsider(demo), role="SUPPORT")
    token = await token_for(mailbox, outsider(demo))
    headers = await demo.headers("globex", Role.SALES)
    answer = await accept(demo, token, headers)
    acme = demo.tenants["acme"].tenant_id
    assert answer == {
        "data": {
            "acceptInvitation": {
                "ok": True,
                "role": "SUPPORT",
                "tenant": {"id": encode_id("Tenant", acme), "name": "Acme Corp"},
            }
        }
    }
    assert (await acme_members(demo))[demo.tenants["globex"].users[Role.SALES]] == "support"


async def test_the_holder_may_accept_with_their_password_instead(
    demo: Demo, mailbox: Mailbox
) -> None:
    await invite(demo, outsider(demo))
    answer = await accept(demo, await token_for(mailbox, outsider(demo)), password=DEMO_PASSWORD)
    assert answer["data"]["acceptInvitation"]["ok"] is True
    assert demo.tenants["globex"].users[Role.SALES] in await acme_members(demo)


async def test_accepting_an_accounts_invitation_without_signing_in_is_refused(
    demo: Demo, mailbox: Mailbox
) -> None:
    await invite(demo, outsider(demo))
    token = await token_for(mailbox, outsider(demo))
    before = await counts(demo)
    answer = await accept(demo, token, dateOfBirth="1988-02-03", acceptPrivacyPolicy=True)
    assert code(answer) == "UNAUTHENTICATED"
    assert await counts(demo) == before
    assert [i.accepted_at for i in await acme_invitations(demo)] == [None]


async def test_accepting_an_accounts_invitation_with_a_wrong_password_is_refused(
    demo: Demo, mailbox: Mailbox
) -> None:
    await invite(demo, outsider(demo))
    token = await token_for(mailbox, outsider(demo))
    before = await counts(demo)
    answer = await accept(demo, token, password="not the password at all")
    assert code(answer) == "INVALID_CREDENTIALS"
    assert await counts(demo) == before


async def test_accepting_while_signed_in_as_another_account_is_refused(
    demo: Demo, mailbox: Mailbox
) -> None:
    await invite(demo, outsider(demo))
    token = await token_for(mailbox, outsider(demo))
    before = await counts(demo)
    answer = await accept(demo, token, await demo.headers("globex", Role.MARKETING))
    assert code(answer) == "UNAUTHENTICATED"
    assert await counts(demo) == before


async def test_a_person_without_an_account_creates_it_keeping_only_the_birth_year(
    demo: Demo, mailbox: Mailbox
) -> None:
    address = unique_email()
    await invite(demo, address, role="MARKETING")
    token = await token_for(mailbox, address)
    answer = await accept(demo, token, **new_account(dateOfBirth="1988-02-03"))
    assert answer["data"]["acceptInvitation"]["role"] == "MARKETING"
    signed_in = await demo.gql(LOG_IN, {"email": address, "password": NEW_PASSWORD})
    acme = encode_id("Tenant", demo.tenants["acme"].tenant_id)
    assert signed_in["data"]["logIn"]["me"] == {"role": "MARKETING", "currentTenant": {"id": acme}}
    async with demo.services.db.session(None) as session:
        cipher = await demo.services.keyring.platform_cipher(demo.services.db)
        index = cipher.blind_index(address)
        user = (await session.execute(select(User).where(User.email_bidx == index))).scalar_one()
    assert (user.birth_year, user.display_name) == (1988, GIVEN_NAME)
    assert "02-03" not in repr(user.__dict__)


async def test_a_minor_cannot_accept_and_nothing_is_stored(demo: Demo, mailbox: Mailbox) -> None:
    address = unique_email()
    await invite(demo, address)
    token = await token_for(mailbox, address)
    before = await counts(demo)
    answer = await accept(demo, token, **new_account(dateOfBirth="2015-06-01"))
    assert code(answer) == "AGE_REQUIREMENT_NOT_MET"
    assert await counts(demo) == before
    assert [i.accepted_at for i in await acme_invitations(demo)] == [None]


async def test_accepting_without_acknowledging_the_policy_is_refused_and_nothing_is_stored(
    demo: Demo, mailbox: Mailbox
) -> None:
    address = unique_email()
    await invite(demo, address)
    token = await token_for(mailbox, address)
    before = await counts(demo)
    answer = await accept(demo, token, **new_account(acceptPrivacyPolicy=False))
    assert (code(answer), answer["errors"][0]["extensions"]["field"]) == (
        "BAD_USER_INPUT",
        "acceptPrivacyPolicy",
    )
    assert await counts(demo) == before
    assert [i.accepted_at for i in await acme_invitations(demo)] == [None]


async def test_a_used_token_is_refused(demo: Demo, mailbox: Mailbox) -> None:
    address = unique_email()
    await invite(demo, address)
    token = await token_for(mailbox, address)
    await accept(demo, token, **new_account())
    before = await counts(demo)
    answer = await accept(demo, token, **new_account())
    assert code(answer) == "INVITATION_INVALID"
    assert await counts(demo) == before


async def test_expired_revoked_used_and_forged_tokens_answer_one_error(
    demo: Demo, mailbox: Mailbox
) -> None:
    tokens = {}
    for kind in ("expired", "revoked", "used"):
        address = unique_email()
        answer = await invite(demo, address)
        tokens[kind] = await token_for(mailbox, address)
        invitation_id = answer["data"]["inviteMember"]["invitation"]["id"]
        if kind == "revoked":
            await demo.gql(REVOKE, {"id": invitation_id}, await demo.headers("acme", Role.OWNER))
        if kind == "used":
            await accept(demo, tokens[kind], **new_account())
    async with demo.services.db.session(demo.tenants["acme"].tenant_id) as session:
        await session.execute(
            update(Invitation)
            .where(Invitation.token_hash == hashlib.sha256(tokens["expired"].encode()).digest())
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    tokens["forged"] = tokens["used"][:-4] + "AAAA"
    tokens["garbage"] = "not-a-token"
    before = await counts(demo)
    answers = {kind: await accept(demo, token, **new_account()) for kind, token in tokens.items()}
    assert code(answers["expired"]) == "INVITATION_INVALID"
    assert all(answer == answers["expired"] for answer in answers.values()), answers
    assert await counts(demo) == before


# --- listing and revoking ------------------------------------------------------------


async def test_only_member_managers_list_invitations(demo: Demo) -> None:
    await invite(demo, outsider(demo))
    sales = await demo.gql(INVITATIONS, None, await demo.headers("acme", Role.SALES))
    admin = await demo.gql(INVITATIONS, None, await demo.headers("acme", Role.ADMIN))
    assert code(sales) == "FORBIDDEN"
    assert [(i["email"], i["displayName"], i["status"]) for i in admin["data"]["invitations"]] == [
        (outsider(demo), GIVEN_NAME, "PENDING")
    ]


async def test_another_tenant_cannot_see_or_revoke_an_invitation(demo: Demo) -> None:
    answer = await invite(demo, outsider(demo))
    invitation_id = answer["data"]["inviteMember"]["invitation"]["id"]
    globex = await demo.headers("globex", Role.OWNER)
    foreign = await demo.gql(REVOKE, {"id": invitation_id}, globex)
    missing = await demo.gql(REVOKE, {"id": encode_id("Invitation", uuid.uuid4())}, globex)
    listed = await demo.gql(INVITATIONS, None, globex)
    assert foreign == missing
    assert code(foreign) == "NOT_FOUND"
    assert listed == {"data": {"invitations": []}}
    assert [i.revoked_at for i in await acme_invitations(demo)] == [None]


async def test_an_admin_may_not_revoke_an_invitation_to_the_owner_role(demo: Demo) -> None:
    answer = await invite(demo, unique_email(), role="OWNER")
    invitation_id = answer["data"]["inviteMember"]["invitation"]["id"]
    refused = await demo.gql(REVOKE, {"id": invitation_id}, await demo.headers("acme", Role.ADMIN))
    assert code(refused) == "FORBIDDEN"
    assert [i.revoked_at for i in await acme_invitations(demo)] == [None]


async def test_a_revoked_invitation_can_no_longer_be_accepted(demo: Demo, mailbox: Mailbox) -> None:
    address = unique_email()
    answer = await invite(demo, address)
    token = await token_for(mailbox, address)
    owner = await demo.headers("acme", Role.OWNER)
    revoked = await demo.gql(
        REVOKE, {"id": answer["data"]["inviteMember"]["invitation"]["id"]}, owner
    )
    assert revoked["data"]["revokeInvitation"]["invitation"]["status"] == "REVOKED"
    before = await counts(demo)
    assert code(await accept(demo, token, **new_account())) == "INVITATION_INVALID"
    assert await counts(demo) == before
