"""The authorization code flow with PKCE, run by authlib's own client (issue 12), and
the RFC 6749 / RFC 7636 error responses of its negative paths."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select

from auth.permissions import Role
from models.apps import AppInstallation
from tests.oauth.conftest import (
    AUTHORIZE_URL,
    REDIRECT,
    TOKEN_URL,
    Partner,
    approve,
    authorized_client,
    consent_fields,
    gql,
    install,
    plain_client,
)

CONTACTS = "{ contacts(first: 3) { nodes { id firstName email } } }"


def redirect_params(response) -> dict[str, list[str]]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return parse_qs(urlsplit(location).query)


async def test_an_app_approved_by_the_admin_reads_contacts_with_its_token(partner: Partner):
    client = await authorized_client(partner, await partner.register())
    body = (await gql(client, CONTACTS)).json()
    assert "errors" not in body, body
    assert len(body["data"]["contacts"]["nodes"]) == 3


async def test_the_access_token_is_an_rfc_9068_jwt_verified_by_the_published_keys(
    partner: Partner,
):
    registered = await partner.register()
    client = await authorized_client(partner, registered)
    async with await plain_client(partner) as http:
        jwks = (await http.get("/oauth/jwks")).json()
    token = jwt.decode(client.token["access_token"], KeySet.import_key_set(jwks))
    assert token.header["typ"] == "at+jwt"
    assert token.header["alg"] == "ES256"
    claims = token.claims
    assert claims["iss"] == "https://testserver"
    assert claims["aud"] == partner.services.settings.token_audience
    assert claims["client_id"] == registered.client.client_id
    assert claims["scope"] == "contacts:read"
    assert claims["exp"] - claims["iat"] == partner.services.settings.access_token_ttl_s
    assert claims["sub"] and claims["jti"]


async def test_the_token_endpoint_answers_no_store(partner: Partner):
    client = await authorized_client(partner, await partner.register())
    refreshed = await client.post(
        TOKEN_URL,
        data={"grant_type": "refresh_token", "refresh_token": client.token["refresh_token"]},
        auth=(client.client_id, client.client_secret),
    )
    assert refreshed.status_code == 200
    assert refreshed.headers["cache-control"] == "no-store"


async def test_an_unregistered_redirect_uri_is_refused_on_the_page_without_a_redirect(
    partner: Partner,
):
    client = partner.oauth(await partner.register())
    url, _ = client.create_authorization_url(
        AUTHORIZE_URL, code_verifier=generate_token(48),
        redirect_uri="https://attacker.example/callback",
    )  # fmt: skip
    browser = await partner.browser(Role.ADMIN)
    page = await browser.get(url)
    assert page.status_code == 400
    assert "location" not in page.headers
    assert "attacker.example" not in page.text or "not supported" in page.text


async def test_a_redirect_uri_differing_only_by_a_suffix_is_refused(partner: Partner):
    client = partner.oauth(await partner.register())
    url, _ = client.create_authorization_url(
        AUTHORIZE_URL, code_verifier=generate_token(48), redirect_uri=REDIRECT + "/../evil"
    )
    browser = await partner.browser(Role.ADMIN)
    assert (await browser.get(url)).status_code == 400


async def test_the_plain_pkce_method_is_refused(partner: Partner):
    client = partner.oauth(await partner.register())
    client.code_challenge_method = "plain"
    url, _ = client.create_authorization_url(AUTHORIZE_URL, code_verifier=generate_token(48))
    browser = await partner.browser(Role.ADMIN)
    params = redirect_params(await browser.get(url))
    assert params["error"] == ["invalid_request"]
    assert "S256" in params["error_description"][0]


async def test_a_request_without_pkce_is_refused(partner: Partner):
    client = partner.oauth(await partner.register())
    url, _ = client.create_authorization_url(AUTHORIZE_URL)  # no code_verifier: no challenge
    browser = await partner.browser(Role.ADMIN)
    params = redirect_params(await browser.get(url))
    assert params["error"] == ["invalid_request"]


async def test_a_pkce_mismatch_is_invalid_grant(partner: Partner):
    client = partner.oauth(await partner.register())
    url, _ = client.create_authorization_url(AUTHORIZE_URL, code_verifier=generate_token(48))
    redirect = await approve(await partner.browser(Role.ADMIN), url)
    with pytest.raises(OAuthError) as refused:
        await client.fetch_token(
            TOKEN_URL, authorization_response=redirect.headers["location"],
            code_verifier=generate_token(48),
        )  # fmt: skip
    assert refused.value.error == "invalid_grant"


async def test_a_replayed_code_is_refused_and_revokes_what_it_issued(partner: Partner):
    client = partner.oauth(await partner.register())
    verifier = generate_token(48)
    url, _ = client.create_authorization_url(AUTHORIZE_URL, code_verifier=verifier)
    location = (await approve(await partner.browser(Role.ADMIN), url)).headers["location"]
    await client.fetch_token(TOKEN_URL, authorization_response=location, code_verifier=verifier)
    assert "errors" not in (await gql(client, CONTACTS)).json()
    again = partner.oauth(await partner.register())  # a fresh client object, same app
    again.client_id, again.client_secret = client.client_id, client.client_secret
    with pytest.raises(OAuthError) as refused:
        await again.fetch_token(TOKEN_URL, authorization_response=location, code_verifier=verifier)
    assert refused.value.error == "invalid_grant"
    assert (await gql(client, CONTACTS)).status_code == 401


async def test_denying_redirects_access_denied(partner: Partner):
    client = partner.oauth(await partner.register())
    url, state = client.create_authorization_url(AUTHORIZE_URL, code_verifier=generate_token(48))
    params = redirect_params(await approve(await partner.browser(Role.ADMIN), url, "deny"))
    assert params["error"] == ["access_denied"]
    assert params["state"] == [state]


async def test_a_member_who_may_not_install_cannot_approve_an_app_not_installed(
    partner: Partner,
):
    client = partner.oauth(await partner.register())
    url, _ = client.create_authorization_url(AUTHORIZE_URL, code_verifier=generate_token(48))
    params = redirect_params(await (await partner.browser(Role.SALES)).get(url))
    assert params["error"] == ["access_denied"]


async def test_a_member_authorizes_an_app_the_admin_installed(partner: Partner):
    client = await authorized_client(partner, await partner.register(), Role.SALES)
    assert "errors" not in (await gql(client, CONTACTS)).json()


async def test_a_scope_the_app_did_not_register_is_invalid_scope(partner: Partner):
    client = partner.oauth(await partner.register(), scope="contacts:read deals:read")
    url, _ = client.create_authorization_url(AUTHORIZE_URL, code_verifier=generate_token(48))
    params = redirect_params(await (await partner.browser(Role.ADMIN)).get(url))
    assert params["error"] == ["invalid_scope"]


async def test_the_consent_form_needs_its_csrf_token(partner: Partner):
    client = partner.oauth(await partner.register())
    url, _ = client.create_authorization_url(AUTHORIZE_URL, code_verifier=generate_token(48))
    browser = await partner.browser(Role.ADMIN)
    fields = consent_fields((await browser.get(url)).text)
    fields["csrf_token"] = "forged"
    answer = await browser.post("/oauth/authorize", data=fields | {"decision": "approve"})
    assert answer.status_code == 403
    assert "location" not in answer.headers


async def test_the_consent_page_needs_a_signed_in_member(partner: Partner):
    client = partner.oauth(await partner.register())
    url, _ = client.create_authorization_url(AUTHORIZE_URL, code_verifier=generate_token(48))
    async with await plain_client(partner) as anonymous:
        answer = await anonymous.get(url)
    assert answer.status_code == 401
    assert "location" not in answer.headers


async def test_the_consent_page_lists_purposes_and_categories_in_plain_words(partner: Partner):
    client = partner.oauth(await partner.register(scopes=("marketing:read",)), "marketing:read")
    url, _ = client.create_authorization_url(AUTHORIZE_URL, code_verifier=generate_token(48))
    page = await (await partner.browser(Role.ADMIN)).get(url)
    assert "Direct marketing to the person" in page.text
    assert "an email address" in page.text
    assert "free text written about a person" not in page.text  # notes: not for marketing
    assert "form-action 'self' https://partner.example" in page.headers["content-security-policy"]


async def test_installing_twice_keeps_one_installation(partner: Partner):
    registered = await partner.register()
    client = partner.oauth(registered)
    await install(partner, client)
    await install(partner, client)
    async with partner.services.db.session(partner.tenants["acme"].tenant_id) as session:
        rows = (await session.execute(select(AppInstallation))).scalars().all()
    assert [row.client_pk for row in rows] == [registered.client.id]
