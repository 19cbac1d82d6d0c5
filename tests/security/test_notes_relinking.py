"""Issue 8.2: a note belongs to the person it was written about.

The body of an activity is decided against the person it was first linked to (its
contact, or its deal's primary contact), recorded once in `subject_contact_id`.
Attacks sent over HTTP by a sales member (ACTIVITIES_WRITE, CONSENT_READ, purpose
sales): unlinking the note, pointing it at a person they may read, or moving it to a
deal of such a person. Unreadable states for sales: consent for sales withdrawn, an
objection to sales, restricted processing, erased; readable: granted, none recorded.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from sqlalchemy import select

from auth.permissions import Role
from models import Activity
from resolvers.global_ids import decode_id, encode_id
from tests.security.conftest import Demo

READABLE = ("granted", "none")
UNREADABLE = {
    "withdrawn": "CONSENT_WITHDRAWN",
    "objected": "OBJECTED",
    "restricted": "PROCESSING_RESTRICTED",
    "erased": "ERASED",
}
NOT_ERASED = {k: v for k, v in UNREADABLE.items() if k != "erased"}

FIELDS = "id subject body contact { id } deal { id }"
CREATE_ACTIVITY = f"""
mutation($input: CreateActivityInput!) {{
  createActivity(input: $input) {{ activity {{ {FIELDS} }} }}
}}
"""
UPDATE_ACTIVITY = f"""
mutation($id: ID!, $input: UpdateActivityInput!) {{
  updateActivity(id: $id, input: $input) {{ activity {{ {FIELDS} }} }}
}}
"""
READ_ONE = "query($id: ID!) { activity(id: $id) { id body } }"
STATE_CHANGES = {
    "granted": "recordConsent(contact: $c, consent: {purpose: SALES, granted: true, "
    'source: "web form", evidence: "submission 41"})',
    "withdrawn": "recordConsent(contact: $c, consent: {purpose: SALES, granted: false})",
    "objected": "recordObjection(contact: $c, purpose: SALES)",
    "restricted": "restrictProcessing(contact: $c)",
    "erased": "eraseContact(contact: $c)",
}
BODY = "Told us about her divorce; call after the hearing"


async def ok(demo: Demo, role: Role, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    answer = await demo.gql(query, variables, await demo.headers("acme", role))
    assert "errors" not in answer, answer
    return answer


async def new_contact(demo: Demo, name: str = "Dana") -> str:
    answer = await ok(
        demo,
        Role.OWNER,
        "mutation($n: String!) { createContact(input: {firstName: $n}) { contact { id } } }",
        {"n": name},
    )
    return answer["data"]["createContact"]["contact"]["id"]


async def move_into(demo: Demo, contact: str, state: str) -> None:
    if state == "none":
        return
    change = STATE_CHANGES[state]
    await ok(demo, Role.OWNER, f"mutation($c: ID!) {{ {change} {{ contact {{ id }} }} }}",
             {"c": contact})  # fmt: skip


async def new_company(demo: Demo) -> str:
    answer = await ok(
        demo,
        Role.OWNER,
        'mutation { createCompany(input: {name: "Initech"}) { company { id } } }',
        {},
    )
    return answer["data"]["createCompany"]["company"]["id"]


async def new_deal(demo: Demo, contact: str) -> str:
    answer = await ok(
        demo,
        Role.OWNER,
        'mutation($c: ID!) { createDeal(input: {title: "Renewal", primaryContact: $c}) '
        "{ deal { id } } }",
        {"c": contact},
    )
    return answer["data"]["createDeal"]["deal"]["id"]


async def new_note(demo: Demo, **links: str) -> str:
    answer = await ok(
        demo,
        Role.SALES,
        CREATE_ACTIVITY,
        {"input": {"kind": "NOTE", "subject": "Call", "body": BODY, **links}},
    )
    return answer["data"]["createActivity"]["activity"]["id"]


async def note_about(demo: Demo, state: str, **links: str) -> tuple[str, str]:
    """A note written about a person while readable, then the person moved into `state`."""
    person = await new_contact(demo)
    note = await new_note(demo, contact=person, **links)
    await move_into(demo, person, state)
    return person, note


async def stored(demo: Demo, note: str) -> dict[str, Any]:
    """The activity row as stored (tenant-scoped session, below the API)."""
    async with demo.services.db.session(demo.tenants["acme"].tenant_id) as session:
        row = (
            await session.execute(select(Activity).where(Activity.id == decode_id(note)[1]))
        ).scalar_one()
        return row.model_dump()


def gid(type_name: str, value: Any) -> str | None:
    return None if value is None else encode_id(type_name, value)


async def sales_reads_body(demo: Demo, note: str) -> dict[str, Any]:
    answer = await ok(demo, Role.SALES, READ_ONE, {"id": note})
    return {
        "body": answer["data"]["activity"]["body"],
        "redactions": answer.get("extensions", {}).get("redactions", []),
    }


def redacted(reason: str, path: list[Any]) -> dict[str, Any]:
    return {"body": None, "redactions": [{"path": path, "reason": reason, "category": "NOTES"}]}


@pytest.fixture
def on_postgresql(request: pytest.FixtureRequest) -> Demo:
    """The demo on PostgreSQL, served by the application's role under RLS."""
    return request.getfixturevalue("pg_demo")


# --- Unlinking keeps the person's state governing the body ------------------------------


@pytest.mark.parametrize("state", NOT_ERASED)
async def test_unlinking_a_note_keeps_its_body_redacted_in_the_payload(demo, state):
    company = await new_company(demo)
    _, note = await note_about(demo, state, company=company)
    answer = await ok(demo, Role.SALES, UPDATE_ACTIVITY, {"id": note, "input": {"contact": None}})
    assert answer["data"]["updateActivity"]["activity"]["contact"] is None
    assert answer["data"]["updateActivity"]["activity"]["body"] is None
    assert answer["extensions"]["redactions"] == [
        {"path": ["updateActivity", "activity", "body"], "reason": UNREADABLE[state],
         "category": "NOTES"}
    ]  # fmt: skip


@pytest.mark.parametrize("state", NOT_ERASED)
async def test_unlinked_note_stays_redacted_on_later_reads(demo, state):
    company = await new_company(demo)
    _, note = await note_about(demo, state, company=company)
    await ok(demo, Role.SALES, UPDATE_ACTIVITY, {"id": note, "input": {"contact": None}})
    assert await sales_reads_body(demo, note) == redacted(UNREADABLE[state], ["activity", "body"])


@pytest.mark.postgres
async def test_unlinked_note_of_a_restricted_person_stays_redacted_on_postgresql(
    on_postgresql,
):
    target = on_postgresql
    company = await new_company(target)
    _, note = await note_about(target, "restricted", company=company)
    await ok(target, Role.SALES, UPDATE_ACTIVITY, {"id": note, "input": {"contact": None}})
    assert await sales_reads_body(target, note) == redacted(
        "PROCESSING_RESTRICTED", ["activity", "body"]
    )


@pytest.mark.parametrize("state", NOT_ERASED)
async def test_unlinking_keeps_the_recorded_subject(demo, state):
    company = await new_company(demo)
    person, note = await note_about(demo, state, company=company)
    await ok(demo, Role.SALES, UPDATE_ACTIVITY, {"id": note, "input": {"contact": None}})
    row = await stored(demo, note)
    assert (row["contact_id"], gid("Contact", row["subject_contact_id"])) == (None, person)


LIST_QUERIES = {
    "activities": ("{ activities(first: 100) { nodes { id body } } }", ["activities", "nodes"]),
    "company.activities": (
        "query($co: ID!) { company(id: $co) { activities(first: 10) { id body } } }",
        ["company", "activities"],
    ),
    "node": ("query($id: ID!) { node(id: $id) { ... on Activity { id body } } }", ["node"]),
}


@pytest.mark.parametrize("path", LIST_QUERIES)
async def test_every_read_path_decides_an_unlinked_note_by_its_subject(demo, path):
    company = await new_company(demo)
    _, note = await note_about(demo, "restricted", company=company)
    await ok(demo, Role.SALES, UPDATE_ACTIVITY, {"id": note, "input": {"contact": None}})
    query, where = LIST_QUERIES[path]
    answer = await ok(demo, Role.SALES, query, {"co": company, "id": note})
    found = answer["data"]
    for key in where:
        found = found[key]
    nodes = found if isinstance(found, list) else [found]
    index = next(i for i, node in enumerate(nodes) if node["id"] == note)
    assert nodes[index]["body"] is None
    body_path = [*where, index, "body"] if isinstance(found, list) else [*where, "body"]
    assert {"path": body_path, "reason": "PROCESSING_RESTRICTED", "category": "NOTES"} in (
        answer["extensions"]["redactions"]
    )


async def test_body_cannot_be_added_to_an_unlinked_note_about_an_erased_person(demo):
    company = await new_company(demo)
    _, note = await note_about(demo, "erased", company=company)
    await ok(demo, Role.SALES, UPDATE_ACTIVITY, {"id": note, "input": {"contact": None}})
    before = await stored(demo, note)
    answer = await demo.gql(
        UPDATE_ACTIVITY,
        {"id": note, "input": {"body": "She still owes us"}},
        await demo.headers("acme", Role.SALES),
    )
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["CONFLICT"]
    assert await stored(demo, note) == before


# --- Re-linking a note the caller may not read is refused --------------------------------


@pytest.mark.parametrize("state", UNREADABLE)
async def test_relinking_an_unreadable_note_to_a_readable_contact_is_refused(demo, state):
    _, note = await note_about(demo, state)
    decoy = await new_contact(demo, "Robin")
    before = await stored(demo, note)
    answer = await demo.gql(
        UPDATE_ACTIVITY,
        {"id": note, "input": {"contact": decoy}},
        await demo.headers("acme", Role.SALES),
    )
    assert answer["data"] is None
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["FORBIDDEN"]
    assert await stored(demo, note) == before


@pytest.mark.postgres
async def test_relinking_a_restricted_persons_note_is_refused_on_postgresql(on_postgresql):
    target = on_postgresql
    _, note = await note_about(target, "restricted")
    decoy = await new_contact(target, "Robin")
    before = await stored(target, note)
    answer = await target.gql(
        UPDATE_ACTIVITY,
        {"id": note, "input": {"contact": decoy}},
        await target.headers("acme", Role.SALES),
    )
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["FORBIDDEN"]
    assert await stored(target, note) == before


@pytest.mark.parametrize("state", UNREADABLE)
async def test_moving_an_unreadable_deal_note_to_a_readable_persons_deal_is_refused(demo, state):
    person = await new_contact(demo)
    deal = await new_deal(demo, person)
    note = await new_note(demo, deal=deal)
    await move_into(demo, person, state)
    decoy_deal = await new_deal(demo, await new_contact(demo, "Robin"))
    before = await stored(demo, note)
    answer = await demo.gql(
        UPDATE_ACTIVITY,
        {"id": note, "input": {"deal": decoy_deal}},
        await demo.headers("acme", Role.SALES),
    )
    assert answer["data"] is None
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["FORBIDDEN"]
    assert await stored(demo, note) == before


@pytest.mark.parametrize("state", READABLE)
async def test_moving_a_readable_note_keeps_the_person_it_was_written_about(demo, state):
    person, note = await note_about(demo, state)
    other = await new_contact(demo, "Robin")
    answer = await ok(demo, Role.SALES, UPDATE_ACTIVITY, {"id": note, "input": {"contact": other}})
    activity = answer["data"]["updateActivity"]["activity"]
    assert (activity["contact"], activity["body"]) == ({"id": other}, BODY)
    row = await stored(demo, note)
    assert (gid("Contact", row["contact_id"]), gid("Contact", row["subject_contact_id"])) == (
        other,
        person,
    )


@pytest.mark.parametrize("state", NOT_ERASED)
async def test_a_moved_note_follows_the_state_of_the_person_it_is_about(demo, state):
    person, note = await note_about(demo, "none")
    await ok(demo, Role.SALES, UPDATE_ACTIVITY,
             {"id": note, "input": {"contact": await new_contact(demo, "Robin")}})  # fmt: skip
    await move_into(demo, person, state)
    assert await sales_reads_body(demo, note) == redacted(UNREADABLE[state], ["activity", "body"])


# --- Notes linked only to a deal, or first linked later ---------------------------------


@pytest.mark.parametrize("state", NOT_ERASED)
async def test_note_linked_only_to_a_deal_is_decided_by_the_deals_contact(demo, state):
    person = await new_contact(demo)
    note = await new_note(demo, deal=await new_deal(demo, person))
    await move_into(demo, person, state)
    assert await sales_reads_body(demo, note) == redacted(UNREADABLE[state], ["activity", "body"])
    assert gid("Contact", (await stored(demo, note))["subject_contact_id"]) == person


async def test_note_first_linked_to_a_person_later_keeps_them_after_unlinking(demo):
    company = await new_company(demo)
    note = await new_note(demo, company=company)
    person = await new_contact(demo)
    await ok(demo, Role.SALES, UPDATE_ACTIVITY, {"id": note, "input": {"contact": person}})
    await move_into(demo, person, "restricted")
    await ok(demo, Role.SALES, UPDATE_ACTIVITY, {"id": note, "input": {"contact": None}})
    assert await sales_reads_body(demo, note) == redacted(
        "PROCESSING_RESTRICTED", ["activity", "body"]
    )


async def test_note_about_a_deleted_contact_reads_as_erased(demo):
    person, note = await note_about(demo, "none")
    await ok(demo, Role.SALES, UPDATE_ACTIVITY,
             {"id": note, "input": {"contact": await new_contact(demo, "Robin")}})  # fmt: skip
    await ok(demo, Role.OWNER, "mutation($id: ID!) { deleteContact(id: $id) { deletedId } }",
             {"id": person})  # fmt: skip
    assert await sales_reads_body(demo, note) == redacted("ERASED", ["activity", "body"])


# --- The migration records the subject of existing activities ---------------------------


def test_migration_records_the_current_link_as_the_subject(tmp_path):
    """0005 backfills from the contact link, else the deal's primary contact."""
    from models.migrate import upgrade_sync

    path = tmp_path / "old.db"
    upgrade_sync(f"sqlite+aiosqlite:///{path}", "0004")
    tenant, person, dealer, deal = "a" * 32, "b" * 32, "c" * 32, "d" * 32
    stamp = "2026-01-01 00:00:00"
    with sqlite3.connect(path) as conn:  # foreign keys are off on a plain connection
        conn.execute(
            "INSERT INTO deal (id, tenant_id, created_at, updated_at, title, amount, currency, "
            "stage, primary_contact_id) VALUES (?, ?, ?, ?, 't', '0.00', 'EUR', 'won', ?)",
            (deal, tenant, stamp, stamp, dealer),
        )
        for activity, contact, deal_id in (("1" * 32, person, deal), ("2" * 32, None, deal),
                                           ("3" * 32, None, None)):  # fmt: skip
            conn.execute(
                "INSERT INTO activity (id, tenant_id, created_at, updated_at, kind, subject, "
                "done, contact_id, deal_id) VALUES (?, ?, ?, ?, 'note', 's', 0, ?, ?)",
                (activity, tenant, stamp, stamp, contact, deal_id),
            )
    upgrade_sync(f"sqlite+aiosqlite:///{path}")
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT id, subject_contact_id FROM activity ORDER BY id").fetchall()
    assert rows == [("1" * 32, person), ("2" * 32, dealer), ("3" * 32, None)]
