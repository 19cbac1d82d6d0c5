"""Client credentials: a server-to-server app acts in one tenant where it is installed,
for the admin who installed it, within the installation's scopes (issue 12)."""

from __future__ import annotations

import pytest
from authlib.integrations.base_client.errors import OAuthError

from auth.permissions import Role
from tests.oauth.conftest import (
    TOKEN_URL,
    Partner,
    as_token,
    gql,
    install,
    plain_client,
    session_token,
)

CONTACTS = "{ contacts(first: 2) { nodes { id email } } }"


async def test_an_installed_app_gets_a_token_for_its_tenant_and_reads_contacts(partner: Partner):
    registered = await partner.register()
    client = partner.oauth(registered)
    await install(partner, client)
    token = await client.fetch_token(TOKEN_URL, grant_type="client_credentials", tenant="acme")
    assert "refresh_token" not in token
    body = (await gql(client, CONTACTS)).json()
    assert "errors" not in body, body
    assert len(body["data"]["contacts"]["nodes"]) == 2


async def test_another_tenant_and_an_unknown_tenant_answer_alike(partner: Partner):
    registered = await partner.register()
    await install(partner, partner.oauth(registered))
    answers = []
    async with await plain_client(partner) as http:
        for slug in ("globex", "no-such-tenant"):
            answer = await http.post(
                TOKEN_URL,
                data={"grant_type": "client_credentials", "tenant": slug},
                auth=(registered.client.client_id, registered.secret),
            )
            answers.append((answer.status_code, answer.json()))
    assert answers[0] == answers[1]
    assert answers[0][1]["error"] == "unauthorized_client"


async def test_a_scope_beyond_the_installation_is_invalid_scope(partner: Partner):
    registered = await partner.register(scopes=("contacts:read", "deals:read"))
    await install(partner, partner.oauth(registered, "contacts:read"))
    client = partner.oauth(registered, "contacts:read deals:read")
    with pytest.raises(OAuthError) as refused:
        await client.fetch_token(TOKEN_URL, grant_type="client_credentials", tenant="acme")
    assert refused.value.error == "invalid_scope"


async def test_a_public_client_may_not_use_client_credentials(partner: Partner):
    registered = await partner.register(client_type="public")
    async with await plain_client(partner) as http:
        answer = await http.post(
            TOKEN_URL,
            data={
                "grant_type": "client_credentials",
                "tenant": "acme",
                "client_id": registered.client.client_id,
            },
        )
    assert answer.status_code in (400, 401)
    assert answer.json()["error"] in ("unauthorized_client", "invalid_client")


async def test_the_tenant_is_required(partner: Partner):
    registered = await partner.register()
    client = partner.oauth(registered)
    await install(partner, client)
    with pytest.raises(OAuthError) as refused:
        await client.fetch_token(TOKEN_URL, grant_type="client_credentials")
    assert refused.value.error == "invalid_request"


async def test_an_apps_sec_gpc_header_records_no_choice_for_the_user_it_acts_for(
    partner: Partner,
):
    """Sec-GPC is the person's own browser speaking; an app's server sending it is not
    the person's signal, so nothing is recorded in their name."""
    registered = await partner.register()
    client = partner.oauth(registered)
    await install(partner, client)
    await client.fetch_token(TOKEN_URL, grant_type="client_credentials", tenant="acme")
    assert "errors" not in (await gql(client, CONTACTS, headers={"sec-gpc": "1"})).json()
    admin_token = await session_token(partner, Role.ADMIN)
    choices = await as_token(partner, admin_token, "{ myPrivacyChoices { optedOutOfSaleSharing } }")
    assert choices.json()["data"]["myPrivacyChoices"] == {"optedOutOfSaleSharing": False}
