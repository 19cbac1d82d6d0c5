"""The authorization code flow with PKCE, run by authlib's own client (issue 12)."""

from __future__ import annotations

from tests.oauth.conftest import Partner, authorized_client

CONTACTS = "{ contacts(first: 3) { nodes { id firstName email } } }"


async def test_an_app_approved_by_the_admin_reads_contacts_with_its_token(partner: Partner):
    registered = await partner.register()
    client = await authorized_client(partner, registered)
    response = await client.post("/graphql", json={"query": CONTACTS})
    body = response.json()
    assert "errors" not in body, body
    assert len(body["data"]["contacts"]["nodes"]) == 3
