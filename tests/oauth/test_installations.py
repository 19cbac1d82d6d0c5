"""Installations through the API (issue 12): the admin lists them and uninstalls one,
which stops every token of that app in that tenant at once; developers register apps
with exact https redirect URIs; rate limits count per installation."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from auth.oauth.clients import RegistrationError, check_redirect_uri
from auth.permissions import Role
from core.ratelimit import RateLimiter, make_storage
from models.apps import OAuthClient
from resolvers.global_ids import encode_id
from tests.oauth.conftest import (
    TOKEN_URL,
    Partner,
    as_token,
    authorized_client,
    bearer,
    gql,
    plain_client,
    session_token,
)

LIST = "{ appInstallations { id clientId name scopes active trustedDocumentsOnly } }"
UNINSTALL = "mutation($id: ID!) { uninstallApp(installation: $id) { id active revokedAt } }"
CONTACTS = "{ contacts(first: 1) { nodes { id } } }"
REGISTER = """
mutation($name: String!, $type: String!, $uris: [String!]!, $scopes: [String!]!) {
  registerApp(name: $name, clientType: $type, redirectUris: $uris, scopes: $scopes) {
    clientId clientSecret clientType redirectUris scopes
  }
}
"""


async def admin_gql(partner: Partner, query: str, variables=None, slug: str = "acme") -> dict:
    token = await session_token(partner, Role.ADMIN, slug)
    async with await plain_client(partner) as http:
        return (await gql(http, query, variables, headers=bearer(token))).json()


async def test_the_admin_lists_the_installed_apps(partner: Partner):
    registered = await partner.register()
    await authorized_client(partner, registered)
    answer = await admin_gql(partner, LIST)
    assert answer["data"]["appInstallations"] == [
        {
            "id": answer["data"]["appInstallations"][0]["id"],
            "clientId": registered.client.client_id,
            "name": "Pipeline Sync",
            "scopes": ["contacts:read"],
            "active": True,
            "trustedDocumentsOnly": False,
        }
    ]


async def test_uninstalling_revokes_every_token_of_the_app_in_the_tenant_at_once(
    partner: Partner,
):
    registered = await partner.register()
    admin_app = await authorized_client(partner, registered)
    sales_app = await authorized_client(partner, registered, Role.SALES)
    installation = (await admin_gql(partner, LIST))["data"]["appInstallations"][0]["id"]
    answer = await admin_gql(partner, UNINSTALL, {"id": installation})
    assert answer["data"]["uninstallApp"]["active"] is False
    for app in (admin_app, sales_app):
        assert (await gql(app, CONTACTS)).status_code == 401
        refreshed = await app.post(
            TOKEN_URL,
            data={"grant_type": "refresh_token", "refresh_token": app.token["refresh_token"]},
            auth=(app.client_id, app.client_secret),
        )
        assert refreshed.json()["error"] == "invalid_grant"


async def test_another_tenants_installation_answers_like_one_that_never_existed(
    partner: Partner,
):
    await authorized_client(partner, await partner.register())
    installation = (await admin_gql(partner, LIST))["data"]["appInstallations"][0]["id"]
    foreign = await admin_gql(partner, UNINSTALL, {"id": installation}, slug="globex")
    never_existed = {"id": encode_id("AppInstallation", uuid.uuid4())}
    never = await admin_gql(partner, UNINSTALL, never_existed, slug="globex")
    assert foreign == never
    assert foreign["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (await admin_gql(partner, LIST))["data"]["appInstallations"][0]["active"] is True


async def test_a_member_who_may_not_manage_apps_cannot_list_them(partner: Partner):
    token = await session_token(partner, Role.SALES)
    answer = (await as_token(partner, token, LIST)).json()
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_developer_registers_an_app_and_sees_its_secret_once(partner: Partner):
    variables = {
        "name": "Invoice bridge", "type": "confidential",
        "uris": ["https://bridge.example/cb"], "scopes": ["contacts:read"],
    }  # fmt: skip
    answer = await admin_gql(partner, REGISTER, variables)
    app = answer["data"]["registerApp"]
    assert app["clientSecret"] and len(app["clientSecret"]) >= 43
    assert app["redirectUris"] == ["https://bridge.example/cb"]
    async with partner.services.db.session(None) as session:
        row = (
            await session.execute(
                select(OAuthClient).where(OAuthClient.client_id == app["clientId"])  # type: ignore[arg-type]
            )
        ).scalar_one()
    assert app["clientSecret"].encode() not in row.secret_hash


@pytest.mark.parametrize(
    "uri",
    ["https://*.partner.example/cb", "https://partner.example/cb#frag", "partner.example/cb"],
)
async def test_a_wildcard_or_partial_redirect_uri_is_bad_input(partner: Partner, uri: str):
    variables = {"name": "X", "type": "public", "uris": [uri], "scopes": ["contacts:read"]}
    answer = await admin_gql(partner, REGISTER, variables)
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_plain_http_redirect_uris_are_refused_in_production():
    with pytest.raises(RegistrationError):
        check_redirect_uri("http://partner.example/cb", production=True)
    assert check_redirect_uri("http://127.0.0.1:9000/cb", production=False)


async def test_an_unknown_scope_is_bad_input(partner: Partner):
    variables = {"name": "X", "type": "public", "uris": ["https://x.example/cb"],
                 "scopes": ["contacts:everything"]}  # fmt: skip
    answer = await admin_gql(partner, REGISTER, variables)
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_an_app_cannot_register_apps(partner: Partner):
    client = await authorized_client(partner, await partner.register())
    variables = {"name": "X", "type": "public", "uris": ["https://x.example/cb"],
                 "scopes": ["contacts:read"]}  # fmt: skip
    answer = (await gql(client, REGISTER, variables)).json()
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_rate_limits_count_per_installation_across_its_tokens(partner: Partner):
    registered = await partner.register()
    admin_app = await authorized_client(partner, registered)
    sales_app = await authorized_client(partner, registered, Role.SALES)
    partner.services.extras["rate_limiter"] = RateLimiter(make_storage(None), default="2/minute")
    assert (await gql(admin_app, CONTACTS)).status_code == 200
    assert (await gql(sales_app, CONTACTS)).status_code == 200
    refused = await gql(admin_app, CONTACTS)
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert int(refused.headers["retry-after"]) >= 1
