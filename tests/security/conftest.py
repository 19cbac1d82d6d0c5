"""Attacker's-eye fixtures: the ASGI app over real HTTP with the demo data seeded, and
sign-in the way any client does it (issue 8's probes are sent exactly like this).

Every test gets its own migrated database with both demo tenants (acme and globex, a
user per role, contacts in every consent state); the sign-in rate limit is raised so
the probes measure the policy, not the limiter.
"""

from __future__ import annotations

import asyncio
import dataclasses
import email
import email.policy
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from auth.permissions import Role
from core.mail import Mailer
from core.settings import Settings
from server.app import create_app
from server.seed import DEMO_PASSWORD, SeededTenant, SeedSize, seed_demo
from tests.support.postgres import PostgresDatabase

SMALL = SeedSize(contacts=30, companies=5, deals=15, activities=30)
LOG_IN = """
mutation($email: String!, $password: String!) {
  logIn(email: $email, password: $password) { accessToken }
}
"""


@dataclasses.dataclass
class Demo:
    """The seeded demo: tenants by slug, and an HTTP client to probe them with."""

    client: httpx.AsyncClient
    app: Any
    tenants: dict[str, SeededTenant]

    @property
    def services(self) -> Any:
        return self.app.state.services

    def email(self, slug: str, role: Role) -> str:
        return self.tenants[slug].emails[role]

    async def token(self, slug: str, role: Role) -> str:
        """A bearer token for the demo user of `role` in tenant `slug`."""
        email = self.email(slug, role)
        response = await self.client.post(
            "/graphql",
            json={"query": LOG_IN, "variables": {"email": email, "password": DEMO_PASSWORD}},
        )
        self.client.cookies.clear()  # bearer only: cookies would change the CSRF rules
        return response.json()["data"]["logIn"]["accessToken"]

    async def headers(self, slug: str, role: Role) -> dict[str, str]:
        return {"authorization": f"Bearer {await self.token(slug, role)}"}

    async def gql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """POST one operation; the whole JSON answer (data, errors, extensions)."""
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"accept": "application/json", **(headers or {})},
        )
        self.client.cookies.clear()
        return response.json()

    async def ids(self, slug: str, entity: str, first: int = 100) -> list[str]:
        """Global ids of `entity` (contacts, companies, deals, activities) in `slug`,
        read as that tenant's owner."""
        headers = await self.headers(slug, Role.OWNER)
        answer = await self.gql(
            f"{{ {entity}(first: {first}) {{ nodes {{ id }} }} }}", None, headers
        )
        return [node["id"] for node in answer["data"][entity]["nodes"]]


@pytest.fixture
def attack_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"rate_limit_auth": "100000/minute", "rate_limit_default": "100000/minute"}
    )


@pytest.fixture
async def demo(attack_settings: Settings) -> AsyncIterator[Demo]:
    app = create_app(attack_settings, migrate=False)
    async with app.router.lifespan_context(app):
        seeded = await seed_demo(app.state.services, SMALL)
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 4321))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Demo(client, app, {t.slug: t for t in seeded})


def unique_email() -> str:
    return f"probe.{uuid.uuid4().hex[:10]}@example.net"


# --- mail: a real SMTP server (aiosmtpd) on 127.0.0.1 ------------------------------


@dataclasses.dataclass
class Mailbox:
    """What the SMTP server received: parsed messages and their envelope recipients."""

    host: str
    port: int
    messages: list[EmailMessage] = dataclasses.field(default_factory=list)
    recipients: list[list[str]] = dataclasses.field(default_factory=list)
    mailer: Mailer | None = None

    async def settle(self, timeout_s: float = 10.0) -> list[EmailMessage]:
        """The messages received once every mail handed over so far was delivered (the
        SMTP server has stored a message before it acknowledges it)."""
        if self.mailer is not None:
            async with asyncio.timeout(timeout_s):
                await self.mailer.drain()
        return list(self.messages)


class _Sink:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.box.recipients.append(list(envelope.rcpt_tos))
        self.box.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd, its own thread) on 127.0.0.1 at a free port."""
    from aiosmtpd.controller import Controller

    box = Mailbox("127.0.0.1", _free_port())
    controller = Controller(_Sink(box), hostname=box.host, port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def route_mail(demo: Demo, box: Mailbox) -> Mailbox:
    """The demo's mail goes over SMTP (no TLS on loopback) to `box`."""
    settings = demo.services.settings.model_copy(
        update={"smtp_host": box.host, "smtp_port": box.port, "smtp_tls": "off"}
    )
    box.mailer = demo.services.extras["mailer"] = Mailer(settings)
    return box


@pytest.fixture
def mailbox(demo: Demo, smtp_server: Mailbox) -> Mailbox:
    """The demo's mail goes over SMTP (no TLS on loopback) to `smtp_server`."""
    return route_mail(demo, smtp_server)


# --- PostgreSQL: the demo under the application's role and row-level security ----------
# (`pg_database`, a migrated database of its own, comes from tests/conftest.py)


@pytest.fixture
async def pg_demo(attack_settings: Settings, pg_database: PostgresDatabase) -> AsyncIterator[Demo]:
    settings = attack_settings.model_copy(
        update={"database_url": pg_database.owner_url, "app_database_url": ""}
    )
    app = create_app(settings, migrate=False)
    async with app.router.lifespan_context(app):
        seeded = await seed_demo(app.state.services, SMALL)
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 4321))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Demo(client, app, {t.slug: t for t in seeded})
