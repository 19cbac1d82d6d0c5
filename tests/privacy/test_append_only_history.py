"""Issue 10: consent history, processing events, the audit and the usage log are
append-only at the database (migration 0009), and a deleted contact, once the purge
erases it (issue 11), is an anonymous shell with its history.

Every test runs on SQLite (triggers refuse UPDATE and DELETE) and on the real
PostgreSQL (the application's role holds neither privilege), through the application's
own session: on PostgreSQL that is the restricted `ledgerline_app` role under
row-level security. Raw SQL below the ORM, so nothing but the database refuses.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import exc, func, select, text

from auth.permissions import Role
from core.services import Services
from core.settings import Settings
from models import (
    AuditEvent,
    AuditSubject,
    ConsentEvent,
    ConsentState,
    Contact,
    Deal,
    ProcessingEvent,
    UsageEvent,
)
from models.base import utcnow
from privacy.consent import PERSONAL_COLUMNS, ConsentRecord, append_consent, set_restriction
from privacy.purposes import Purpose
from privacy.retention.purge import purge
from privacy.retention.trash import trashed
from resolvers.global_ids import decode_id
from tests.support.postgres import PostgresDatabase, create_database
from tests.support.world import Runner, TenantWorld, make_tenant

ERASED = "[erased]"

# table -> a column an attacker (or a bug) would like to rewrite, and a new value
TAMPER = {
    "consent_event": ("evidence", "'forged'"),
    "processing_event": ("reason", "'forged'"),
    "audit_event": ("detail", "'forged'"),
    "audit_subject": ("categories_shown", "''"),
    "usage_event": ("outcome", "'ok'"),
}


@dataclass
class SharedPostgres:
    """One migrated database for the module; its platform key is wrapped by the master
    key of the first test's settings, which later tests reuse."""

    database: PostgresDatabase
    master_keys: dict[str, bytes] | None = None


@pytest.fixture(scope="module")
def pg_database() -> Iterator[SharedPostgres]:
    database = create_database()
    try:
        yield SharedPostgres(database)
    finally:
        database.drop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    if request.param == "sqlite":
        return settings
    shared: SharedPostgres = request.getfixturevalue("pg_database")
    if shared.master_keys is None:
        shared.master_keys = settings.master_keys
    return settings.model_copy(
        update={
            "database_url": shared.database.owner_url,
            "app_database_url": "",
            "master_keys": shared.master_keys,
        }
    )


@pytest.fixture
async def app(store_settings: Settings) -> AsyncIterator[Services]:
    from auth.accounts import bootstrap

    services = Services.from_settings(store_settings)
    await bootstrap(services)
    yield services
    await services.close()


@pytest.fixture
async def world(app: Services) -> TenantWorld:
    return await make_tenant(app, f"Append {uuid.uuid4().hex[:6]}")


async def seed_history(app: Services, world: TenantWorld) -> uuid.UUID:
    """A contact with a consent event and a restriction, and one audit, audit-subject and
    usage row, written (inserted) by the application as it does."""
    owner = world.users[Role.OWNER]
    async with app.db.session(world.tenant_id) as session:
        contact = Contact(first_name="Ada", owner_id=owner, lifecycle_stage="lead")
        session.add(contact)
        await session.flush()
        record = ConsentRecord(Purpose.MARKETING, "granted", source="form", evidence="signed")
        await append_consent(session, contact.id, record, owner)
        await set_restriction(session, contact, True, "disputes her address", owner)
        event = AuditEvent(tenant_id=world.tenant_id, actor_type="user", action="probe")
        session.add(event)
        session.add(
            AuditSubject(tenant_id=world.tenant_id, event_id=event.id, subject_id=contact.id)
        )
        session.add(UsageEvent(tenant_id=world.tenant_id, operation_type="query", outcome="ok"))
        await session.commit()
        return contact.id


async def raw(app: Services, world: TenantWorld, statement: str) -> Any:
    async with app.db.session(world.tenant_id) as session:
        session.info["allow_text_sql"] = True
        result = await session.execute(text(statement))
        await session.commit()
        return result


async def rows(app: Services, world: TenantWorld, table: str) -> list[dict[str, Any]]:
    result = await raw(app, world, f'SELECT * FROM "{table}" ORDER BY id')  # noqa: S608
    return [dict(row) for row in result.mappings()]


@pytest.mark.parametrize("table", list(TAMPER))
async def test_database_refuses_update_and_delete_of_history(
    app: Services, world: TenantWorld, table: str
) -> None:
    await seed_history(app, world)
    before = await rows(app, world, table)
    assert before, f"{table}: nothing seeded"
    column, value = TAMPER[table]
    with pytest.raises(exc.DBAPIError, match="append-only|permission denied"):
        await raw(app, world, f"UPDATE {table} SET {column} = {value}")  # noqa: S608
    with pytest.raises(exc.DBAPIError, match="append-only|permission denied"):
        await raw(app, world, f"DELETE FROM {table}")  # noqa: S608
    assert await rows(app, world, table) == before


@pytest.mark.parametrize("table", ["consent_event", "processing_event"])
async def test_database_refuses_the_erasure_shell_for_a_person_not_erased(
    app: Services, world: TenantWorld, table: str
) -> None:
    """The one change erasure makes is refused while the person is not erased."""
    await seed_history(app, world)
    before = await rows(app, world, table)
    column = "source" if table == "consent_event" else "reason"
    with pytest.raises(exc.DBAPIError, match="append-only|permission denied"):
        await raw(app, world, f"UPDATE {table} SET {column} = '{ERASED}'")  # noqa: S608
    assert await rows(app, world, table) == before


async def test_consent_state_projection_stays_writable(app: Services, world: TenantWorld) -> None:
    contact = await seed_history(app, world)
    await raw(app, world, "UPDATE consent_state SET objected = objected")
    async with app.db.session(world.tenant_id) as session:
        states = (await session.execute(select(ConsentState))).scalars().all()
    assert [(s.contact_id, s.status) for s in states] == [(contact, "granted")]


# --- Through the API: eraseContact shells; a deleted contact is erased by the purge ---

CREATE = """
mutation($input: CreateContactInput!) { createContact(input: $input) { contact { id } } }
"""
GRANT = """
mutation($c: ID!) { recordConsent(contact: $c, consent: {purpose: MARKETING, granted: true,
  source: "web form 7", evidence: "signed sheet 7"}) { contact { id } } }
"""
RESTRICT = """
mutation($c: ID!) { restrictProcessing(contact: $c, reason: "disputes her address") {
  contact { id } } }
"""
DEAL = """
mutation($c: ID!) { createDeal(input: {title: "Ada renewal", primaryContact: $c}) {
  deal { id } } }
"""
ERASE = 'mutation($c: ID!) { eraseContact(contact: $c, reason: "request 42") { contact { id } } }'
DELETE = "mutation($id: ID!) { deleteContact(id: $id) { deletedId } }"
READ = """
query($id: ID!) { contact(id: $id) { id erased firstName lastName email jobTitle city
  consentHistory { purpose status source evidence } } }
"""


async def ok(runner: Runner, world: TenantWorld, query: str, variables: dict[str, Any]) -> Any:
    result = await runner(world.principal(Role.OWNER), query, variables)
    assert not result.errors, result.errors
    return result.data


async def person(runner: Runner, world: TenantWorld) -> str:
    fields = {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com",
              "jobTitle": "Analyst", "city": "London"}  # fmt: skip
    gid: str = (await ok(runner, world, CREATE, {"input": fields}))["createContact"]["contact"][
        "id"
    ]
    await ok(runner, world, GRANT, {"c": gid})
    await ok(runner, world, RESTRICT, {"c": gid})
    return gid


async def history(app: Services, world: TenantWorld, model: Any, contact: Any) -> list[Any]:
    async with app.db.session(world.tenant_id) as session:
        result = await session.execute(
            select(model).where(model.contact_id == contact).order_by(model.recorded_at)
        )
        return list(result.scalars())


async def test_erase_contact_still_shells_the_consent_text(
    app: Services, world: TenantWorld
) -> None:
    runner = Runner(app)
    gid = await person(runner, world)
    await ok(runner, world, ERASE, {"c": gid})
    contact = decode_id(gid)[1]
    consents = await history(app, world, ConsentEvent, contact)
    assert [(e.status, e.source, e.evidence) for e in consents] == [("granted", ERASED, ERASED)]
    processing = await history(app, world, ProcessingEvent, contact)
    assert [(e.kind, e.reason) for e in processing] == [
        ("restricted", ERASED),
        ("erased", "request 42"),
    ]


async def test_a_deleted_contact_is_erased_by_the_purge_leaving_a_shell_with_its_history(
    app: Services, world: TenantWorld
) -> None:
    """deleteContact moves the contact to the trash (issue 11); when the trash period
    ends the purge erases it, keeping the shell, its deal and its shelled history."""
    runner = Runner(app)
    gid = await person(runner, world)
    deal = (await ok(runner, world, DEAL, {"c": gid}))["createDeal"]["deal"]["id"]
    assert (await ok(runner, world, DELETE, {"id": gid}))["deleteContact"] == {"deletedId": gid}
    await purge(app, dry_run=False, trigger="cli", now=utcnow() + timedelta(days=31))

    contact = decode_id(gid)[1]
    async with app.db.session(world.tenant_id) as session:
        shell = (await session.execute(trashed(Contact).where(Contact.id == contact))).scalar_one()
    assert shell.erased_at is not None and shell.purged_at is not None
    assert [getattr(shell, c) for c in PERSONAL_COLUMNS] == [None] * len(PERSONAL_COLUMNS)
    consents = await history(app, world, ConsentEvent, contact)
    assert [(e.status, e.source, e.evidence) for e in consents] == [("granted", ERASED, ERASED)]
    processing = await history(app, world, ProcessingEvent, contact)
    assert [(e.kind, e.reason) for e in processing] == [
        ("restricted", ERASED),
        ("erased", "retention: soft_deleted"),
    ]
    async with app.db.session(world.tenant_id) as session:
        kept = (
            await session.execute(select(Deal).where(Deal.id == decode_id(deal)[1]))
        ).scalar_one()
        actions = (
            await session.execute(
                select(AuditEvent.action, func.count())
                .where(AuditEvent.detail == f"contact {contact}")
                .group_by(AuditEvent.action)
            )
        ).all()
    assert (kept.primary_contact_id, kept.title_enc) == (contact, None)  # read as ERASED
    assert dict(actions).get("contact_deleted") == 1
