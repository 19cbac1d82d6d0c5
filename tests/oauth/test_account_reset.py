"""Issue 10: a password reset signs the account out everywhere, partner apps included:
the grants of apps acting for the account are revoked in the reset's transaction."""

from __future__ import annotations

from auth.account_tokens import LinkKind, issue_link
from auth.permissions import Role
from tests.oauth.conftest import Partner, authorized_client, gql, plain_client

CONTACTS = "{ contacts(first: 1) { nodes { id } } }"
RESET = "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) { ok } }"


async def reset_link(partner: Partner, role: Role) -> str:
    """A reset link's token for the acme member of `role`, as the reset mail carries it."""
    async with partner.services.db.session(None) as session:
        user_id = partner.tenants["acme"].users[role]
        token, _ = await issue_link(session, user_id=user_id, kind=LinkKind.PASSWORD_RESET)
        await session.commit()
    return token


async def test_a_password_reset_revokes_the_partner_apps_acting_for_the_account(
    partner: Partner,
) -> None:
    client = await authorized_client(partner, await partner.register(), role=Role.SALES)
    assert "errors" not in (await gql(client, CONTACTS)).json()
    token = await reset_link(partner, Role.SALES)
    async with await plain_client(partner) as http:
        reset = await gql(http, RESET, {"t": token, "p": "a completely new passphrase 2027"})
    assert reset.json() == {"data": {"resetPassword": {"ok": True}}}
    refused = await gql(client, CONTACTS)
    assert refused.status_code == 401
