"""Refresh tokens (rotation, reuse detection), revocation (RFC 7009), introspection
(RFC 7662), server metadata (RFC 8414), the JWKS and its rotation, and the access
tokens /graphql refuses (issue 12)."""

from __future__ import annotations

import base64
import time
import uuid

import pytest
from authlib.integrations.base_client.errors import OAuthError
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from joserfc import jwt

from auth.oauth.keys import SigningKeys
from core.settings import _new_signing_key
from tests.oauth.conftest import (
    BASE,
    TOKEN_URL,
    Partner,
    as_token,
    authorized_client,
    gql,
    plain_client,
)

ME = "{ contacts(first: 1) { nodes { id } } }"


async def refresh(client, token: str):
    return await client.post(
        TOKEN_URL,
        data={"grant_type": "refresh_token", "refresh_token": token},
        auth=(client.client_id, client.client_secret),
    )


async def test_a_refresh_rotates_the_refresh_token(partner: Partner):
    client = await authorized_client(partner, await partner.register())
    first = client.token["refresh_token"]
    answer = (await refresh(client, first)).json()
    assert answer["refresh_token"] != first
    assert answer["scope"] == "contacts:read"
    assert "errors" not in (await as_token(partner, answer["access_token"], ME)).json()


async def test_a_spent_refresh_token_again_revokes_the_whole_family(partner: Partner):
    client = await authorized_client(partner, await partner.register())
    spent = client.token["refresh_token"]
    fresh = (await refresh(client, spent)).json()
    reused = await refresh(client, spent)
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    assert (await refresh(client, fresh["refresh_token"])).json()["error"] == "invalid_grant"
    assert (await as_token(partner, fresh["access_token"], ME)).status_code == 401


async def test_a_refresh_cannot_widen_the_scope(partner: Partner):
    client = await authorized_client(partner, await partner.register())
    answer = await client.post(
        TOKEN_URL,
        data={
            "grant_type": "refresh_token",
            "refresh_token": client.token["refresh_token"],
            "scope": "contacts:read deals:read",
        },
        auth=(client.client_id, client.client_secret),
    )
    assert answer.json()["error"] == "invalid_scope"


async def test_revoking_the_refresh_token_ends_the_access_token_too(partner: Partner):
    client = await authorized_client(partner, await partner.register())
    await client.revoke_token(f"{BASE}/oauth/revoke", client.token["refresh_token"])
    assert (await gql(client, ME)).status_code == 401
    assert (await refresh(client, client.token["refresh_token"])).json()["error"] == (
        "invalid_grant"
    )


async def test_a_revoked_access_token_is_refused_by_graphql(partner: Partner):
    client = await authorized_client(partner, await partner.register())
    assert "errors" not in (await gql(client, ME)).json()
    answer = await client.revoke_token(f"{BASE}/oauth/revoke", client.token["access_token"])
    assert answer.status_code == 200
    refused = await gql(client, ME)
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_revoking_an_unknown_token_answers_200_as_rfc_7009_asks(partner: Partner):
    client = await authorized_client(partner, await partner.register())
    answer = await client.revoke_token(f"{BASE}/oauth/revoke", "not-a-token")
    assert answer.status_code == 200


async def introspect(client, token: str) -> dict:
    answer = await client.introspect_token(f"{BASE}/oauth/introspect", token)
    assert answer.status_code == 200
    return answer.json()


async def test_introspection_describes_an_active_token(partner: Partner):
    registered = await partner.register()
    client = await authorized_client(partner, registered)
    info = await introspect(client, client.token["access_token"])
    assert info["active"] is True
    assert info["client_id"] == registered.client.client_id
    assert info["scope"] == "contacts:read"
    assert info["aud"] == partner.services.settings.token_audience
    assert (await introspect(client, client.token["refresh_token"]))["active"] is True


async def test_introspection_reports_a_revoked_token_inactive(partner: Partner):
    client = await authorized_client(partner, await partner.register())
    await client.revoke_token(f"{BASE}/oauth/revoke", client.token["access_token"])
    assert await introspect(client, client.token["access_token"]) == {"active": False}


async def test_an_app_cannot_introspect_another_apps_token(partner: Partner):
    owner = await authorized_client(partner, await partner.register())
    other = await authorized_client(partner, await partner.register(name="Other"))
    assert await introspect(other, owner.token["access_token"]) == {"active": False}


def forged(partner: Partner, client, **changes) -> str:
    """A token signed with the server's own key, its claims changed."""
    keys = SigningKeys.from_settings(partner.services.settings)
    claims = jwt.decode(client.token["access_token"], keys.verification_set()).claims
    return jwt.encode({"alg": "ES256", "typ": "at+jwt"}, {**claims, **changes}, keys.signing_set())


async def test_an_expired_access_token_is_refused(partner: Partner):
    client = await authorized_client(partner, await partner.register())
    expired = forged(partner, client, exp=int(time.time()) - 60, iat=int(time.time()) - 960)
    answer = await as_token(partner, expired, ME)
    assert answer.status_code == 401
    assert 'error_description="expired"' in answer.headers["www-authenticate"]
    assert await introspect(client, expired) == {"active": False}


async def test_a_token_for_another_audience_is_refused(partner: Partner):
    client = await authorized_client(partner, await partner.register())
    answer = await as_token(partner, forged(partner, client, aud="other-api"), ME)
    assert answer.status_code == 401
    assert "expired" not in answer.headers["www-authenticate"]


async def test_a_token_from_another_issuer_is_refused(partner: Partner):
    client = await authorized_client(partner, await partner.register())
    answer = await as_token(partner, forged(partner, client, iss="https://evil"), ME)
    assert answer.status_code == 401


async def test_a_token_naming_another_grant_is_refused(partner: Partner):
    client = await authorized_client(partner, await partner.register())
    answer = await as_token(partner, forged(partner, client, gid=str(uuid.uuid4())), ME)
    assert answer.status_code == 401


async def test_a_token_signed_by_an_unknown_key_is_refused(partner: Partner):
    client = await authorized_client(partner, await partner.register())
    claims = jwt.decode(
        client.token["access_token"],
        SigningKeys.from_settings(partner.services.settings).verification_set(),
    ).claims
    stranger = SigningKeys(_new_signing_key(), (), 900)
    token = jwt.encode({"alg": "ES256", "typ": "at+jwt"}, claims, stranger.signing_set())
    assert (await as_token(partner, token, ME)).status_code == 401


async def test_the_server_metadata_is_valid_rfc_8414(partner: Partner):
    async with await plain_client(partner) as http:
        metadata = (await http.get("/.well-known/oauth-authorization-server")).json()
    AuthorizationServerMetadata(metadata).validate()
    assert metadata["issuer"] == BASE
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert "contacts:read" in metadata["scopes_supported"]


def test_a_retired_key_is_published_until_its_tokens_have_expired():
    retired_pem = _new_signing_key()
    retired_at = 1_000_000.0
    entry = f"{retired_at:.0f}:{base64.b64encode(retired_pem.encode()).decode()}"
    keys = SigningKeys(_new_signing_key(), (entry,), ttl_s=900)
    assert len(keys.jwks(now=retired_at + 899)["keys"]) == 2
    assert len(keys.jwks(now=retired_at + 901)["keys"]) == 1
    assert keys.jwks()["keys"][0]["kid"] == keys.current.kid


def test_the_jwks_never_publishes_a_private_part():
    keys = SigningKeys(_new_signing_key(), (), ttl_s=900)
    assert all("d" not in key for key in keys.jwks()["keys"])


async def test_an_unknown_grant_type_is_an_rfc_6749_error(partner: Partner):
    async with await plain_client(partner) as http:
        answer = await http.post(TOKEN_URL, data={"grant_type": "password"})
    assert answer.status_code == 400
    assert answer.json() == {"error": "unsupported_grant_type"}


async def test_a_wrong_client_secret_is_invalid_client(partner: Partner):
    registered = await partner.register()
    async with await plain_client(partner) as http:
        answer = await http.post(
            TOKEN_URL,
            data={"grant_type": "client_credentials", "tenant": "acme"},
            auth=(registered.client.client_id, "wrong"),
        )
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"


async def test_fetch_token_raises_for_a_revoked_installation(partner: Partner):
    """authlib's client surfaces the server's RFC error as OAuthError."""
    registered = await partner.register()
    client = partner.oauth(registered)
    with pytest.raises(OAuthError) as refused:
        await client.fetch_token(TOKEN_URL, grant_type="client_credentials", tenant="acme")
    assert refused.value.error == "unauthorized_client"
