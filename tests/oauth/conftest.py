"""Partner apps over real HTTP (issue 12): the ASGI app with the demo data seeded, a
signed-in browser (session cookie) for the consent page, and authlib's own OAuth client
(`AsyncOAuth2Client`) for the flows, both on the same ASGI transport.

The server's issuer is `https://testserver`: authlib's client refuses plain http for
its token requests, so the tests speak https to the in-process app.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from html import unescape
from typing import Any

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client

from auth.oauth.clients import Registered, register_client
from auth.permissions import Role
from core.settings import Settings
from server.app import create_app
from server.seed import DEMO_PASSWORD, SeededTenant, seed_demo
from tests.security.conftest import SMALL

BASE = "https://testserver"
REDIRECT = "https://partner.example/callback"
TOKEN_URL = f"{BASE}/oauth/token"
AUTHORIZE_URL = f"{BASE}/oauth/authorize"
LOG_IN = """
mutation($email: String!, $password: String!) {
  logIn(email: $email, password: $password) { ok }
}
"""
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


@dataclass
class Partner:
    """The seeded demo over HTTP, with helpers to act as browser, developer and app."""

    app: Any
    tenants: dict[str, SeededTenant]

    @property
    def services(self) -> Any:
        return self.app.state.services

    def transport(self) -> httpx.ASGITransport:
        return httpx.ASGITransport(app=self.app, client=("203.0.113.9", 4321))

    async def register(
        self,
        *,
        client_type: str = "confidential",
        scopes: tuple[str, ...] = ("contacts:read",),
        redirect_uris: tuple[str, ...] = (REDIRECT,),
        name: str = "Pipeline Sync",
    ) -> Registered:
        developer = self.tenants["acme"].emails[Role.READ_ONLY]
        from auth.accounts import find_user_id_by_email

        developer_id = await find_user_id_by_email(self.services, developer)
        assert developer_id is not None
        async with self.services.db.session(None, user_scope=developer_id) as session:
            registered = await register_client(
                session, developer_id=developer_id, name=name, client_type=client_type,
                redirect_uris=list(redirect_uris), scopes=list(scopes), production=False,
            )  # fmt: skip
            await session.commit()
        return registered

    async def browser(self, role: Role, slug: str = "acme") -> httpx.AsyncClient:
        """A browser signed in (session cookie) as the demo user of `role`."""
        browser = httpx.AsyncClient(transport=self.transport(), base_url=BASE)
        email = self.tenants[slug].emails[role]
        response = await browser.post(
            "/graphql",
            json={"query": LOG_IN, "variables": {"email": email, "password": DEMO_PASSWORD}},
        )
        assert response.json()["data"]["logIn"]["ok"] is True
        return browser

    def oauth(self, registered: Registered, scope: str = "contacts:read") -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=registered.client.client_id,
            client_secret=registered.secret,
            token_endpoint_auth_method=("client_secret_basic" if registered.secret else "none"),
            scope=scope,
            redirect_uri=REDIRECT,
            code_challenge_method="S256",
            token_endpoint=TOKEN_URL,
            transport=self.transport(),
            base_url=BASE,
        )


def consent_fields(page: str) -> dict[str, str]:
    """The consent form's hidden fields, as the browser would post them."""
    return {unescape(k): unescape(v) for k, v in _HIDDEN.findall(page)}


async def approve(
    browser: httpx.AsyncClient, authorize_url: str, decision: str = "approve"
) -> httpx.Response:
    """Open the consent page and press a button; the answer is the redirect."""
    page = await browser.get(authorize_url)
    assert page.status_code == 200, page.text
    fields = consent_fields(page.text) | {"decision": decision}
    return await browser.post("/oauth/authorize", data=fields)


async def install(partner: Partner, client: AsyncOAuth2Client) -> None:
    """The demo admin approves the app on the consent page (installing it)."""
    admin = await partner.browser(Role.ADMIN)
    url, _ = client.create_authorization_url(AUTHORIZE_URL, code_verifier=generate_token(48))
    assert (await approve(admin, url)).status_code == 302
    await admin.aclose()


async def authorized_client(
    partner: Partner, registered: Registered, role: Role = Role.ADMIN, scope: str = "contacts:read"
) -> AsyncOAuth2Client:
    """An app that went through the authorization code flow with PKCE for `role`."""
    client = partner.oauth(registered, scope)
    verifier = generate_token(48)
    url, _state = client.create_authorization_url(AUTHORIZE_URL, code_verifier=verifier)
    if role is not Role.ADMIN:  # an admin installs it first
        await install(partner, client)
    browser = await partner.browser(role)
    redirect = await approve(browser, url)
    await browser.aclose()
    assert redirect.status_code == 302, redirect.text
    await client.fetch_token(
        TOKEN_URL, authorization_response=redirect.headers["location"], code_verifier=verifier
    )
    return client


@pytest.fixture
def partner_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "rate_limit_auth": "100000/minute",
            "rate_limit_default": "100000/minute",
            "app_url": BASE,
        }
    )


@pytest.fixture
async def partner(partner_settings: Settings) -> AsyncIterator[Partner]:
    app = create_app(partner_settings, migrate=False)
    async with app.router.lifespan_context(app):
        seeded = await seed_demo(app.state.services, SMALL)
        yield Partner(app, {t.slug: t for t in seeded})


def new_id() -> str:
    return uuid.uuid4().hex


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> httpx.Response:
    """POST one operation (the client adds its own credentials)."""
    body: dict[str, Any] = {"query": query, "variables": variables or {}}
    if extensions is not None:
        body["extensions"] = extensions
    return await client.post(
        "/graphql", json=body, headers={"accept": "application/json", **(headers or {})}
    )


async def as_token(partner: Partner, token: str, query: str) -> httpx.Response:
    """POST one operation with exactly this bearer token."""
    async with await plain_client(partner) as http:
        return await gql(http, query, headers=bearer(token))


async def session_token(partner: Partner, role: Role, slug: str = "acme") -> str:
    """A member's own bearer token (logIn), to compare an app's answers with."""
    async with httpx.AsyncClient(transport=partner.transport(), base_url=BASE) as client:
        response = await client.post(
            "/graphql",
            json={
                "query": "mutation($e: String!, $p: String!) "
                "{ logIn(email: $e, password: $p) { accessToken } }",
                "variables": {"e": partner.tenants[slug].emails[role], "p": DEMO_PASSWORD},
            },
        )
    return str(response.json()["data"]["logIn"]["accessToken"])


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def plain_client(partner: Partner) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=partner.transport(), base_url=BASE)
