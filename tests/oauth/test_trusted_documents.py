"""Trusted documents (issue 12): an app's registered operations, by SHA-256 in the
persisted-query format of Apollo's and urql's links; listed on the consent page; an
installation restricted to them runs nothing else."""

from __future__ import annotations

from authlib.common.security import generate_token

from auth.oauth.clients import Registered, add_trusted_document, document_hash
from auth.permissions import Role
from tests.oauth.conftest import (
    AUTHORIZE_URL,
    Partner,
    authorized_client,
    bearer,
    consent_fields,
    gql,
    plain_client,
    session_token,
)

LISTED = "query ContactIds { contacts(first: 2) { nodes { id } } }"
OTHER = "{ contacts(first: 2) { nodes { id email } } }"
RESTRICT = """
mutation($id: ID!) { restrictAppToTrustedDocuments(installation: $id) { trustedDocumentsOnly } }
"""


async def register_with_document(partner: Partner) -> Registered:
    registered = await partner.register()
    async with partner.services.db.session(None) as session:
        session.add(registered.client)
        await add_trusted_document(session, registered.client, name="ContactIds", document=LISTED)
        await session.commit()
    return registered


def persisted(query: str) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": document_hash(query)}}


async def restrict(partner: Partner) -> None:
    token = await session_token(partner, Role.ADMIN)
    async with await plain_client(partner) as http:
        listed = await gql(http, "{ appInstallations { id } }", headers=bearer(token))
        installation = listed.json()["data"]["appInstallations"][0]["id"]
        answer = await gql(http, RESTRICT, {"id": installation}, headers=bearer(token))
    assert answer.json()["data"]["restrictAppToTrustedDocuments"]["trustedDocumentsOnly"]


async def test_a_restricted_installation_runs_only_the_registered_operations(partner: Partner):
    client = await authorized_client(partner, await register_with_document(partner))
    await restrict(partner)
    assert "errors" not in (await gql(client, LISTED)).json()
    refused = (await gql(client, OTHER)).json()
    assert refused["errors"][0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"
    assert refused.get("data") is None


async def test_an_unrestricted_installation_runs_any_operation(partner: Partner):
    client = await authorized_client(partner, await register_with_document(partner))
    assert "errors" not in (await gql(client, OTHER)).json()


async def test_the_hash_alone_runs_the_registered_text(partner: Partner):
    client = await authorized_client(partner, await register_with_document(partner))
    await restrict(partner)
    answer = await client.post(
        "/graphql",
        json={"extensions": persisted(LISTED)},
        headers={"accept": "application/json"},
    )
    body = answer.json()
    assert "errors" not in body, body
    assert len(body["data"]["contacts"]["nodes"]) == 2


async def test_an_unknown_hash_is_persisted_query_not_found(partner: Partner):
    client = await authorized_client(partner, await register_with_document(partner))
    answer = await client.post(
        "/graphql", json={"extensions": persisted(OTHER)}, headers={"accept": "application/json"}
    )
    assert answer.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_the_consent_page_lists_the_documents_and_can_restrict_at_install(
    partner: Partner,
):
    registered = await register_with_document(partner)
    client = partner.oauth(registered)
    url, _ = client.create_authorization_url(AUTHORIZE_URL, code_verifier=generate_token(48))
    browser = await partner.browser(Role.ADMIN)
    page = (await browser.get(url)).text
    assert "ContactIds" in page and document_hash(LISTED) in page
    fields = consent_fields(page) | {"decision": "approve", "trusted_documents_only": "1"}
    assert (await browser.post("/oauth/authorize", data=fields)).status_code == 302
    token = await session_token(partner, Role.ADMIN)
    async with await plain_client(partner) as http:
        listed = await gql(
            http, "{ appInstallations { trustedDocumentsOnly } }", headers=bearer(token)
        )
    assert listed.json()["data"]["appInstallations"] == [{"trustedDocumentsOnly": True}]
