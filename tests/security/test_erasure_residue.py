"""Issue 8, erasure residue: after `eraseContact` nothing written about the person is
left in plain text, directly or through their deals and activities.

A canary: a person whose every free-text value (name, email, job, address, notes,
source; consent source and evidence; restriction reason; the titles of their deals; the
subjects and bodies of notes about them, linked to them, linked only to their deal or
moved to someone else) carries one unique marker. After the erasure the raw rows of
every table are read below the API and the marker must appear nowhere. On PostgreSQL
the application's role does this under row-level security, with consent history that
stays append-only except for the narrow erasure function of migration 0005.
"""

from __future__ import annotations

import dataclasses
import secrets
from typing import Any

import psycopg
import pytest
from sqlalchemy import select, text
from sqlmodel import SQLModel

from auth.permissions import Role
from models import Activity, ConsentEvent, Deal, ProcessingEvent
from resolvers.global_ids import decode_id
from tests.security.conftest import Demo
from tests.support.postgres import PostgresDatabase, dsn

ERASED = "[erased]"
CREATE_CONTACT = """
mutation($input: CreateContactInput!) { createContact(input: $input) { contact { id } } }
"""
CREATE_DEAL = """
mutation($title: String!, $c: ID) {
  createDeal(input: {title: $title, primaryContact: $c}) { deal { id } }
}
"""
CREATE_ACTIVITY = """
mutation($input: CreateActivityInput!) { createActivity(input: $input) { activity { id } } }
"""
UPDATE_ACTIVITY = """
mutation($id: ID!, $input: UpdateActivityInput!) { updateActivity(id: $id, input: $input) {
  activity { id } } }
"""
GRANT = """
mutation($c: ID!, $source: String!, $evidence: String!) {
  recordConsent(contact: $c, consent: {purpose: MARKETING, granted: true, source: $source,
                evidence: $evidence}) { contact { id } }
}
"""
OBJECT = """
mutation($c: ID!, $source: String!) {
  recordObjection(contact: $c, purpose: SALES, source: $source) { contact { id } }
}
"""
RESTRICT = """
mutation($c: ID!, $reason: String!) {
  restrictProcessing(contact: $c, reason: $reason) { contact { id } }
}
"""
ERASE = 'mutation($c: ID!) { eraseContact(contact: $c, reason: "request 42") { contact { id } } }'


@dataclasses.dataclass
class Canary:
    marker: str
    contact: str
    deal: str
    linked_note: str
    deal_note: str
    moved_note: str
    bystander: str
    bystander_note: str


async def ok(demo: Demo, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    answer = await demo.gql(query, variables, await demo.headers("acme", Role.OWNER))
    assert "errors" not in answer, answer
    return answer["data"]


async def note(demo: Demo, subject: str, body: str, **links: str) -> str:
    fields = {"kind": "NOTE", "subject": subject, "body": body, **links}
    data = await ok(demo, CREATE_ACTIVITY, {"input": fields})
    return data["createActivity"]["activity"]["id"]


async def make_canary(demo: Demo) -> Canary:
    """The person and everything written about them, each value carrying the marker;
    plus a bystander on someone else's deal whose note must survive."""
    m = f"cnry-{secrets.token_hex(8)}"
    data = await ok(demo, CREATE_CONTACT, {"input": {
        "firstName": f"{m}-first", "lastName": f"{m}-last", "email": f"{m}@example.com",
        "jobTitle": f"{m} job", "address": f"{m} street", "city": f"{m}-city",
        "notes": f"{m} notes", "source": f"{m}-src",
    }})  # fmt: skip
    contact = data["createContact"]["contact"]["id"]
    deal = (await ok(demo, CREATE_DEAL, {"title": f"{m} renewal", "c": contact}))["createDeal"][
        "deal"
    ]["id"]
    linked = await note(demo, f"{m} call", f"{m} linked body", contact=contact)
    deal_note = await note(demo, f"{m} deal call", f"{m} deal body", deal=deal)
    moved = await note(demo, f"{m} moved", f"{m} moved body", contact=contact)
    data = await ok(demo, CREATE_CONTACT, {"input": {"firstName": "Bystander"}})
    bystander = data["createContact"]["contact"]["id"]
    await ok(demo, UPDATE_ACTIVITY, {"id": moved, "input": {"contact": bystander}})
    other_deal = (await ok(demo, CREATE_DEAL, {"title": "Other renewal", "c": bystander}))[
        "createDeal"
    ]["deal"]["id"]
    bystander_note = await note(demo, "Bystander call", "Bystander body", deal=other_deal)
    await ok(demo, GRANT, {"c": contact, "source": f"{m} form", "evidence": f"{m} submission"})
    await ok(demo, OBJECT, {"c": contact, "source": f"{m} phone call"})
    await ok(demo, RESTRICT, {"c": contact, "reason": f"{m} disputes her address"})
    return Canary(m, contact, deal, linked, deal_note, moved, bystander, bystander_note)


async def erase(demo: Demo, canary: Canary) -> None:
    await ok(demo, ERASE, {"c": canary.contact})


def uid(global_id: str) -> Any:
    return decode_id(global_id)[1]


async def raw_rows(demo: Demo, table: str) -> list[dict[str, Any]]:
    """Raw rows of one table in the tenant's scope (text SQL, below the ORM)."""
    async with demo.services.db.session(demo.tenants["acme"].tenant_id) as session:
        session.info["allow_text_sql"] = True
        result = await session.execute(text(f'SELECT * FROM "{table}"'))  # noqa: S608
        return [dict(row) for row in result.mappings()]


def contains(value: Any, marker: str) -> bool:
    if value is None:
        return False
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        return marker.encode() in raw or marker.encode("utf-16-le") in raw
    return marker in str(value)


async def sweep(demo: Demo, marker: str) -> list[tuple[str, str]]:
    """(table, column) of every raw value that still contains the marker."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        for row in await raw_rows(demo, table.name):
            found += [
                (table.name, k) for k, v in row.items() if v is not None and contains(v, marker)
            ]
    return found


async def orm_row(demo: Demo, model: Any, row_id: Any) -> Any:
    async with demo.services.db.session(demo.tenants["acme"].tenant_id) as session:
        return (await session.execute(select(model).where(model.id == row_id))).scalar_one()


async def orm_rows(demo: Demo, model: Any, contact: Any) -> list[Any]:
    async with demo.services.db.session(demo.tenants["acme"].tenant_id) as session:
        result = await session.execute(
            select(model).where(model.contact_id == contact).order_by(model.recorded_at)
        )
        return list(result.scalars())


# --- PostgreSQL: the same demo, served by the application's role under RLS ------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest) -> Demo:
    return request.getfixturevalue("demo" if request.param == "sqlite" else "pg_demo")


# --- The canary sweep, on both backends -------------------------------------------------


async def test_erasure_leaves_the_marker_in_no_raw_row_of_any_table(target):
    canary = await make_canary(target)
    assert ("consent_event", "source") in await sweep(target, canary.marker)  # it works
    await erase(target, canary)
    assert await sweep(target, canary.marker) == []


async def test_deal_titles_and_activity_subjects_are_never_plain_in_a_raw_row(target):
    canary = await make_canary(target)
    found = {table for table, _ in await sweep(target, canary.marker)}
    assert found.isdisjoint({"deal", "activity"})


# --- One residue each -------------------------------------------------------------------


async def test_erasure_pseudonymises_source_and_evidence_of_the_consent_history(target):
    canary = await make_canary(target)
    await erase(target, canary)
    events = await orm_rows(target, ConsentEvent, uid(canary.contact))
    assert [(e.purpose, e.status, e.source, e.evidence) for e in events] == [
        ("marketing", "granted", ERASED, ERASED),
        ("sales", "objected", ERASED, None),
    ]


async def test_erasure_replaces_the_titles_of_their_deals(demo):
    canary = await make_canary(demo)
    await erase(demo, canary)
    assert (await orm_row(demo, Deal, uid(canary.deal))).title_enc is None  # read as ERASED


async def test_erasure_clears_subject_and_body_of_a_note_linked_to_them(demo):
    canary = await make_canary(demo)
    await erase(demo, canary)
    row = await orm_row(demo, Activity, uid(canary.linked_note))
    assert (row.subject_enc, row.body_enc, row.contact_id) == (None, None, uid(canary.contact))


async def test_erasure_clears_the_notes_linked_only_to_their_deal_and_no_other(demo):
    canary = await make_canary(demo)
    bystander = (await orm_row(demo, Activity, uid(canary.bystander_note))).model_dump()
    await erase(demo, canary)
    row = await orm_row(demo, Activity, uid(canary.deal_note))
    assert (row.subject_enc, row.body_enc, row.deal_id) == (None, None, uid(canary.deal))
    assert (await orm_row(demo, Activity, uid(canary.bystander_note))).model_dump() == bystander


async def test_erasure_clears_a_note_about_them_moved_to_another_contact(demo):
    canary = await make_canary(demo)
    await erase(demo, canary)
    row = await orm_row(demo, Activity, uid(canary.moved_note))
    assert (row.subject_enc, row.body_enc, row.contact_id) == (None, None, uid(canary.bystander))


async def test_erasure_replaces_the_reason_of_an_earlier_restriction(demo):
    canary = await make_canary(demo)
    await erase(demo, canary)
    events = await orm_rows(demo, ProcessingEvent, uid(canary.contact))
    assert [(e.kind, e.reason) for e in events] == [
        ("restricted", ERASED),
        ("erased", "request 42"),
    ]


async def test_erasure_clears_the_contacts_own_source(demo):
    canary = await make_canary(demo)
    await erase(demo, canary)
    answer = await demo.gql(
        "query($id: ID!) { contact(id: $id) { erased source } }",
        {"id": canary.contact},
        await demo.headers("acme", Role.OWNER),
    )
    assert answer["data"]["contact"] == {"erased": True, "source": None}


# --- PostgreSQL: consent history stays append-only for the application ------------------


def app_connection(pg_database: PostgresDatabase, tenant: Any) -> psycopg.Connection[Any]:
    """A raw connection as the application's role, scoped to `tenant` (RLS applies)."""
    conn = psycopg.connect(dsn(pg_database.name, "ledgerline_app"), autocommit=True)
    conn.execute("SELECT set_config('app.tenant_id', %s, false)", (str(tenant),))
    return conn


@pytest.mark.postgres
async def test_application_role_changes_consent_text_only_of_an_erased_person(pg_demo, pg_database):
    canary = await make_canary(pg_demo)
    contact = str(uid(canary.contact))
    with app_connection(pg_database, pg_demo.tenants["acme"].tenant_id) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE consent_event SET evidence = 'forged'")
        changed = conn.execute("SELECT erase_consent_event_text(%s)", (contact,)).fetchone()
        sources = conn.execute(
            "SELECT source FROM consent_event WHERE contact_id = %s ORDER BY recorded_at",
            (contact,),
        ).fetchall()
    assert (changed, sources) == (
        (0,),
        [(f"{canary.marker} form",), (f"{canary.marker} phone call",)],
    )


@pytest.mark.postgres
async def test_consent_text_function_reaches_no_other_tenant(pg_demo, pg_database):
    canary = await make_canary(pg_demo)
    await erase(pg_demo, canary)
    contact = str(uid(canary.contact))
    with psycopg.connect(pg_database.owner_dsn) as owner:  # put the marker back, as owner
        owner.execute("UPDATE consent_event SET source = 'kept' WHERE contact_id = %s", (contact,))
    with app_connection(pg_database, pg_demo.tenants["globex"].tenant_id) as conn:
        changed = conn.execute("SELECT erase_consent_event_text(%s)", (contact,)).fetchone()
    with psycopg.connect(pg_database.owner_dsn) as owner:
        sources = owner.execute(
            "SELECT DISTINCT source FROM consent_event WHERE contact_id = %s", (contact,)
        ).fetchall()
    assert (changed, sources) == ((0,), [("kept",)])
