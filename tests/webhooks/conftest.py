"""Webhooks end to end (issue 12): the seeded demo over HTTP (tests/oauth/conftest.py),
an installed partner app, and a real receiver, a Starlette app served by uvicorn on
127.0.0.1 in a thread, which records every request and answers with the status codes
it is told to (200 once they run out)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from authlib.integrations.httpx_client import AsyncOAuth2Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from auth.permissions import Role
from core.settings import Settings
from tests.oauth.conftest import (
    TOKEN_URL,
    Partner,
    bearer,
    gql,
    install,
    partner,
    plain_client,
    session_token,
)

__all__ = ["partner"]


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    """Status codes to answer with, in order; 200 once empty."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    port = _free_port()
    state = Receiver(f"http://127.0.0.1:{port}/hook")

    async def hook(request: Request) -> Response:
        state.received.append(Received(dict(request.headers), await request.body()))
        return Response(status_code=state.answers.pop(0) if state.answers else 200)

    app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield state
    server.should_exit = True
    thread.join(5)


@pytest.fixture
def partner_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "rate_limit_auth": "100000/minute",
            "rate_limit_default": "100000/minute",
            "app_url": "https://testserver",
            "webhook_allow_loopback": True,
            "webhook_backoff_ms": 10,
            "webhook_max_attempts": 3,
            "webhook_disable_after": 2,
        }
    )


@dataclass
class Installed:
    """An app installed in acme with `scope`, its token client and the admin's token."""

    partner: Partner
    app: AsyncOAuth2Client
    installation: str
    admin_token: str

    async def admin(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        async with await plain_client(self.partner) as http:
            response = await gql(http, query, variables, headers=bearer(self.admin_token))
        return response.json()

    async def as_app(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        return (await gql(self.app, query, variables)).json()

    async def settle(self) -> None:
        """Until every delivery started so far has ended."""
        await self.partner.services.background.wait()


async def installed_app(partner: Partner, scope: str = "contacts:read") -> Installed:
    registered = await partner.register(scopes=tuple(scope.split()))
    app = partner.oauth(registered, scope)
    await install(partner, app)
    await app.fetch_token(TOKEN_URL, grant_type="client_credentials", tenant="acme")
    admin_token = await session_token(partner, Role.ADMIN)
    async with await plain_client(partner) as http:
        listed = await gql(
            http, "{ appInstallations { id clientId } }", headers=bearer(admin_token)
        )
    ids = [
        row["id"]
        for row in listed.json()["data"]["appInstallations"]
        if row["clientId"] == registered.client.client_id
    ]
    return Installed(partner, app, ids[0], admin_token)


@pytest.fixture
async def installed(partner: Partner) -> AsyncIterator[Installed]:
    made = await installed_app(partner)
    yield made
    await made.app.aclose()


SUBSCRIBE = """
mutation($i: ID!, $url: String!, $events: [String!]!) {
  subscribeWebhook(installation: $i, url: $url, eventTypes: $events) {
    secret subscription { id url eventTypes disabledAt consecutiveFailures }
  }
}
"""


async def subscribe(installed: Installed, url: str, events: list[str]) -> tuple[str, str]:
    """(subscription id, secret)."""
    body = await installed.admin(
        SUBSCRIBE, {"i": installed.installation, "url": url, "events": events}
    )
    assert "errors" not in body, body
    made = body["data"]["subscribeWebhook"]
    return made["subscription"]["id"], made["secret"]


def transport_client(partner: Partner) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=partner.transport(), base_url="https://testserver")
