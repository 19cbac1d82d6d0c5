"""The isolation suite runs every test on both backends: SQLite and the real PostgreSQL.

`backend` is parametrized (`sqlite`, `postgresql`); the usual fixtures (`settings`,
`services`, `runner`, `tenant_a`, `tenant_b`) are overridden here to follow it.

Two tenants with a member per role and some business data each (`seed_tenant`) are
made once per backend and session (hashing a dozen passwords per test would dominate
the run time); each test then starts from exactly that state: SQLite copies a
prepared file, PostgreSQL truncates the tenant-data tables as the owner and restores
the saved seed.

On PostgreSQL, DATABASE_URL is the owner's URL; the application derives its own
restricted role (`ledgerline_app`) from it, so every query the tests make through
`services` runs under row-level security.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.services import Services
from core.settings import Settings, load_settings
from privacy.audit import AuditSink
from tests.support.postgres import PostgresDatabase, create_database
from tests.support.world import TenantWorld, make_tenant

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@dataclass(frozen=True)
class Prepared:
    """A database holding the platform key and two tenant worlds, ready for a test."""

    database_url: str
    tenant_a: TenantWorld
    tenant_b: TenantWorld
    seeded_a: Seeded
    seeded_b: Seeded
    postgres: PostgresDatabase | None = None


def _settings_from_env(
    mp: pytest.MonkeyPatch, data_dir: Path, database_url: str, app_database_url: str = ""
) -> Settings:
    """As tests/conftest.py does: the environment decides, stray variables removed."""
    for name in list(os.environ):
        if name.startswith("LEDGERLINE_") and name != "LEDGERLINE_FAST_PASSWORD_HASH":
            mp.delenv(name)
    mp.delenv("ENV", raising=False)
    mp.delenv("APP_DATABASE_URL", raising=False)
    mp.setenv("LEDGERLINE_DATA_DIR", str(data_dir))
    mp.setenv("DATABASE_URL", database_url)
    if app_database_url:
        mp.setenv("APP_DATABASE_URL", app_database_url)
    return load_settings()


@pytest.fixture(scope="session")
def isolation_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data directory per session: its generated master key wraps every tenant key
    made for the session, so the per-test services must use the same one."""
    return tmp_path_factory.mktemp("isolation-data")


async def _populate(settings: Settings, database_url: str) -> Prepared:
    from auth.accounts import bootstrap

    services = Services.from_settings(settings)
    try:
        await bootstrap(services)
        tenant_a = await make_tenant(services, "Acme Corp")
        tenant_b = await make_tenant(services, "Globex Inc")
        seeded_a = await seed_tenant(services, tenant_a, "Acme")
        seeded_b = await seed_tenant(services, tenant_b, "Globex")
    finally:
        await services.close()
    return Prepared(database_url, tenant_a, tenant_b, seeded_a, seeded_b)


def _prepare(data_dir: Path, database_url: str, seed_app_url: str = "") -> Prepared:
    with pytest.MonkeyPatch.context() as mp:
        settings = _settings_from_env(mp, data_dir, database_url, seed_app_url)
    return asyncio.run(_populate(settings, database_url))


@pytest.fixture(scope="session")
def sqlite_prepared(
    template_db: Path, isolation_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Prepared:
    path = tmp_path_factory.mktemp("isolation-sqlite") / "worlds.db"
    shutil.copy(template_db, path)
    return _prepare(isolation_data_dir, f"sqlite+aiosqlite:///{path}")


@pytest.fixture(scope="session")
def postgres_prepared(isolation_data_dir: Path) -> Iterator[Prepared]:
    database = create_database()
    try:
        # Seeded as the application role, like everything the tests do afterwards.
        prepared = _prepare(isolation_data_dir, database.owner_url)
        database.save_seed()
        yield dataclasses.replace(prepared, postgres=database)
    finally:
        database.drop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def prepared(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Prepared:
    if backend == "sqlite":
        source: Prepared = request.getfixturevalue("sqlite_prepared")
        path = tmp_path / "ledgerline.db"
        shutil.copy(source.database_url.removeprefix("sqlite+aiosqlite:///"), path)
        return dataclasses.replace(source, database_url=f"sqlite+aiosqlite:///{path}")
    source = request.getfixturevalue("postgres_prepared")
    assert source.postgres is not None
    source.postgres.reset()
    return source


@pytest.fixture
def pg(prepared: Prepared) -> PostgresDatabase:
    """The PostgreSQL test database (for raw connections); PostgreSQL tests only."""
    if prepared.postgres is None:
        pytest.fail("the `pg` fixture needs the postgresql backend")
    return prepared.postgres


@pytest.fixture
def settings(
    prepared: Prepared, isolation_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    return _settings_from_env(monkeypatch, isolation_data_dir, prepared.database_url)


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    from auth.accounts import bootstrap

    services = Services.from_settings(settings)
    await bootstrap(services)
    yield services
    await services.close()


@pytest.fixture
async def sink(services: Services) -> AsyncIterator[AuditSink]:
    """The write-behind read audit and usage sink, as the served app runs it (flushed
    only when a test drains or stops it)."""
    sink = services.extras["audit_sink"] = AuditSink(
        services.db, services.settings.audit_key, interval=3600
    )
    sink.start()
    yield sink
    await sink.stop()


@pytest.fixture
def tenant_a(prepared: Prepared) -> TenantWorld:
    return prepared.tenant_a


@pytest.fixture
def tenant_b(prepared: Prepared) -> TenantWorld:
    return prepared.tenant_b


@dataclass(frozen=True)
class Seeded:
    """One tenant's business data: a company, two contacts with consent history, a deal
    and an activity (the second contact has neither)."""

    tenant_id: uuid.UUID
    company_id: uuid.UUID
    contact_ids: tuple[uuid.UUID, uuid.UUID]
    deal_id: uuid.UUID
    activity_id: uuid.UUID
    invitation_id: uuid.UUID
    privacy_request_id: uuid.UUID
    export_id: uuid.UUID
    hold_id: uuid.UUID
    installation_id: uuid.UUID
    subscription_id: uuid.UUID
    delivery_id: uuid.UUID

    @property
    def contact_id(self) -> uuid.UUID:
        return self.contact_ids[0]


async def seed_tenant(services: Services, world: TenantWorld, label: str) -> Seeded:
    """Insert rows directly, in a session scoped to the tenant (as the application role
    on PostgreSQL), with personal data encrypted under the tenant's own key."""
    from datetime import timedelta

    from auth.invitations import new_invitation_token
    from auth.permissions import Role
    from models import Activity, Company, Contact, Deal
    from models.apps import AppInstallation, OAuthClient
    from models.base import utcnow
    from models.exports import PrivacyExport
    from models.invitations import Invitation
    from models.legal_holds import LegalHold
    from models.privacy_requests import PrivacyRequest
    from models.webhooks import WebhookDelivery, WebhookSubscription
    from privacy.consent import ConsentRecord, append_consent
    from privacy.purposes import Purpose

    owner = world.users[Role.OWNER]
    async with services.db.session(world.tenant_id) as session:
        cipher = await services.keyring.cipher(session, world.tenant_id)
        company = Company(
            name=f"{label} Holdings",
            domain=f"{label.lower()}.example",
            address_enc=cipher.encrypt(f"1 {label} Street"),
            owner_id=owner,
        )
        session.add(company)
        await session.flush()
        contacts = []
        for n in (1, 2):
            email = f"person{n}@{label.lower()}.example"
            contact = Contact(
                first_name=f"{label}{n}",
                last_name="Person",
                email_enc=cipher.encrypt(email),
                email_bidx=cipher.blind_index(email),
                phone_enc=cipher.encrypt("+442071838750"),
                company_id=company.id if n == 1 else None,
                owner_id=owner,
                lifecycle_stage="customer",
            )
            session.add(contact)
            contacts.append(contact)
        await session.flush()
        for purpose in (Purpose.MARKETING, Purpose.SALES):
            await append_consent(
                session, contacts[0].id, ConsentRecord(purpose=purpose, status="granted"), owner
            )
        deal = Deal(
            title_enc=cipher.encrypt(f"{label} renewal"),
            company_id=company.id,
            primary_contact_id=contacts[0].id,
            owner_id=owner,
        )
        session.add(deal)
        await session.flush()
        activity = Activity(
            kind="note",
            subject_enc=cipher.encrypt(f"{label} call"),
            body_enc=cipher.encrypt(f"Spoke with {label}1"),
            contact_id=contacts[0].id,
            company_id=company.id,
            deal_id=deal.id,
            author_id=owner,
        )
        session.add(activity)
        invited = f"invitee@{label.lower()}.example"
        invitation = Invitation(
            email_enc=cipher.encrypt(invited),
            email_bidx=cipher.blind_index(invited),
            role="sales",
            token_hash=new_invitation_token(world.tenant_id)[1],
            invited_by=owner,
            expires_at=utcnow() + timedelta(days=7),
        )
        session.add(invitation)
        privacy_request = PrivacyRequest(
            kind="access",
            contact_id=contacts[0].id,
            requester="data_subject",
            channel="email",
            jurisdiction="gdpr",
            received_at=utcnow(),
            logged_by=owner,
            due_on=(utcnow() + timedelta(days=30)).date(),
        )
        session.add(privacy_request)
        await session.flush()
        export = PrivacyExport(
            request_id=privacy_request.id, contact_id=contacts[0].id, requested_by=owner
        )
        session.add(export)
        # A hold on the company (and so on its contact): a deletion path that looked at
        # holds before finding the row would answer LEGAL_HOLD instead of NOT_FOUND.
        hold = LegalHold(company_id=company.id, reason="Pending claim", placed_by=owner)
        client = OAuthClient(
            client_id=f"matrix-{label.lower()}-{uuid.uuid4().hex[:8]}",
            name=f"{label} app",
            developer_id=owner,
            client_type="confidential",
            scopes="contacts:read",
        )
        session.add_all([hold, client])
        await session.flush()
        installation = AppInstallation(
            client_pk=client.id, scopes="contacts:read", installed_by=owner
        )
        session.add(installation)
        await session.flush()
        subscription = WebhookSubscription(
            installation_id=installation.id, url="https://93.184.215.14/hook",
            event_types="contact.created", secret_sealed=b"matrix", created_by=owner,
        )  # fmt: skip
        session.add(subscription)
        await session.flush()
        delivery = WebhookDelivery(subscription_id=subscription.id, event_type="contact.created")
        session.add(delivery)
        await session.commit()
        return Seeded(
            world.tenant_id,
            company.id,
            (contacts[0].id, contacts[1].id),
            deal.id,
            activity.id,
            invitation.id,
            privacy_request.id,
            export.id,
            hold.id,
            installation.id,
            subscription.id,
            delivery.id,
        )


@pytest.fixture
def seeded_a(prepared: Prepared) -> Seeded:
    return prepared.seeded_a


@pytest.fixture
def seeded_b(prepared: Prepared) -> Seeded:
    return prepared.seeded_b
