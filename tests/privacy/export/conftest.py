"""A person to export, planted among canaries: their own data, another contact named
in an activity linked to them, and another tenant; plus helpers to run the export
through the API, download it over HTTP and open the ZIP.

Rows are written directly with the tenant's cipher (fast); the behaviour under test
(starting, building, downloading, purging) runs through the real paths.
"""

from __future__ import annotations

import io
import json
import secrets
import uuid
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from auth.permissions import Role
from core.services import Services
from models import Activity, AuditEvent, AuditSubject, ConsentEvent, Contact, Deal
from privacy.deadlines import Jurisdiction
from privacy.request_rules import Channel, Requester, RequestKind, Verification
from resolvers.global_ids import encode_id
from resolvers.privacy_requests import new_request
from server.app import create_app
from tests.support.world import Runner, TenantWorld

START = """
mutation($r: ID!) { startPrivacyExport(request: $r) { id status progress } }
"""
STATUS = """
query($id: ID!) {
  privacyExport(id: $id) { id requestId status progress sha256 sizeBytes error downloadUrl }
}
"""


def canary(label: str) -> str:
    return f"cnry-{label}-{secrets.token_hex(5)}"


@dataclass
class Planted:
    person: uuid.UUID
    other: uuid.UUID
    request: uuid.UUID
    own: dict[str, str] = field(default_factory=dict)
    """The person's own values, which the package must hold."""
    foreign: dict[str, str] = field(default_factory=dict)
    """Another person's values and the person's blind index: never in the package."""

    @property
    def request_gid(self) -> str:
        return encode_id("PrivacyRequest", self.request)


async def add_request(
    services: Services,
    world: TenantWorld,
    *,
    kind: RequestKind = RequestKind.ACCESS,
    contact_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    verified: bool = True,
) -> uuid.UUID:
    now = datetime.now(UTC)
    extra: dict[str, Any] = {}
    if verified:
        extra = {"verification": Verification.VERIFIED.value, "verified_at": now,
                 "verification_method": "phone_callback"}  # fmt: skip
    async with services.db.session(world.tenant_id) as session:
        request = new_request(
            tenant_id=world.tenant_id, kind=kind, jurisdiction=Jurisdiction.GDPR,
            requester=Requester.DATA_SUBJECT, channel=Channel.EMAIL, received_at=now,
            time_zone="UTC", contact_id=contact_id, user_id=user_id,
            status="verified" if verified else "received", **extra,
        )  # fmt: skip
        session.add(request)
        await session.commit()
        return request.id


async def plant(services: Services, world: TenantWorld) -> Planted:
    tid = world.tenant_id
    own = {k: canary(k) for k in ("first", "last", "email", "notes", "job", "deal", "subject")}
    foreign = {k: canary(k) for k in ("first", "last", "email", "subject", "body")}
    own["email"] += "@example.com"
    foreign["email"] += "@example.com"
    async with services.db.session(tid) as session:
        cipher = await services.keyring.cipher(session, tid)
        person = Contact(
            tenant_id=tid, first_name=own["first"], last_name=own["last"],
            email_enc=cipher.encrypt(own["email"]), email_bidx=cipher.blind_index(own["email"]),
            job_title_enc=cipher.encrypt(own["job"]), notes_enc=cipher.encrypt(own["notes"]),
        )  # fmt: skip
        other = Contact(
            tenant_id=tid, first_name=foreign["first"], last_name=foreign["last"],
            email_enc=cipher.encrypt(foreign["email"]),
            email_bidx=cipher.blind_index(foreign["email"]),
        )  # fmt: skip
        session.add_all([person, other])
        await session.flush()
        deal = Deal(
            tenant_id=tid,
            title_enc=cipher.encrypt(own["deal"]),
            stage="prospecting",
            primary_contact_id=person.id,
        )
        session.add(deal)
        await session.flush()
        session.add_all([
            # About the person: theirs.
            Activity(tenant_id=tid, kind="note", subject_enc=cipher.encrypt(own["subject"]),
                     body_enc=cipher.encrypt(own["notes"] + " follow-up"),
                     contact_id=person.id, subject_contact_id=person.id),
            # Linked to the person's deal, but written about the other contact.
            Activity(tenant_id=tid, kind="call", subject_enc=cipher.encrypt(foreign["subject"]),
                     body_enc=cipher.encrypt(foreign["body"]), deal_id=deal.id,
                     contact_id=person.id, subject_contact_id=other.id),
            ConsentEvent(tenant_id=tid, contact_id=person.id, purpose="marketing",
                         status="granted", lawful_basis="consent", source="web form",
                         method="checkbox"),
            read := AuditEvent(tenant_id=tid, actor_id=world.users[Role.SALES],
                               actor_type="user", action="pii_read", purposes="sales"),
        ])  # fmt: skip
        await session.flush()
        session.add_all([
            AuditSubject(tenant_id=tid, event_id=read.id, subject_id=person.id,
                         actor_id=world.users[Role.SALES], categories_shown="EMAIL,NAME",
                         categories_redacted="", purposes="sales"),
        ])  # fmt: skip
        await session.commit()
        foreign["person_bidx"] = cipher.blind_index(own["email"]).hex()
    request = await add_request(services, world, contact_id=person.id)
    return Planted(person.id, other.id, request, own, foreign)


@pytest.fixture
async def planted(services: Services, tenant_a: TenantWorld) -> Planted:
    return await plant(services, tenant_a)


async def run_ok(runner: Runner, world: TenantWorld, query: str, **variables: Any) -> Any:
    result = await runner(world.principal(Role.ADMIN), query, variables)
    assert result.errors is None, result.errors
    return result.data


async def built_export(
    services: Services, runner: Runner, world: TenantWorld, request_gid: str
) -> dict[str, Any]:
    """Start the export through the API, let the background build finish, and answer
    privacyExport for it."""
    started = await run_ok(runner, world, START, r=request_gid)
    await services.background.wait()
    data = await run_ok(runner, world, STATUS, id=started["startPrivacyExport"]["id"])
    return dict(data["privacyExport"])


@pytest.fixture
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(services.settings, services, migrate=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def download(client: httpx.AsyncClient, url: str) -> httpx.Response:
    return await client.get(url.removeprefix("http://127.0.0.1:8000"))


def unzip(body: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def documents(files: dict[str, bytes]) -> dict[str, Any]:
    return {name: json.loads(body) for name, body in files.items() if name.endswith(".json")}


def everything(body: bytes) -> bytes:
    """The ZIP's bytes and every file in it, uncompressed: what a leak is searched in."""
    return body + b"".join(unzip(body).values())


def past(days: int = 1) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)
