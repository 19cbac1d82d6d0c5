"""Audit of personal-data reads (privacy/audit.py) and the `personalDataAccess` query.

One `audit_event` (action pii_read) per request, one `audit_subject` row per request
and data subject, with actor, tenant, purposes and the categories shown or redacted;
never a value. Admins read the trail; sales may not; another tenant's contact id is
NOT_FOUND exactly like a missing one.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import delete, select

from auth.permissions import Role
from models import AuditEvent, AuditSubject, ConsentEvent, Membership
from resolvers.global_ids import encode_id
from tests.privacy.conftest import FIELDS, SyncWorld

READ_THREE = """
query($a: ID!, $b: ID!, $c: ID!) {
  a: contact(id: $a) { firstName email dateOfBirth }
  b: contact(id: $b) { firstName email dateOfBirth }
  c: contact(id: $c) { firstName email dateOfBirth }
}
"""
THREE = ("none", "granted_marketing", "withdrawn_sales")

ACCESS = """
query($contact: ID!, $first: Int) {
  personalDataAccess(contact: $contact, first: $first) {
    occurredAt actor { id displayName } purposes categoriesShown categoriesRedacted requestId
  }
}
"""


def _rows(world: SyncWorld, model: Any, tenant: str = "a") -> list[dict[str, Any]]:
    seed = world.seed
    tenant_id = (seed.tenant_a if tenant == "a" else seed.tenant_b).tenant_id

    async def go() -> list[dict[str, Any]]:
        async with world.services.db.session(tenant_id) as session:
            found = (await session.execute(select(model))).scalars().all()
            return [
                {c.name: getattr(row, c.name) for c in model.__table__.columns} for row in found
            ]

    return world.call(go())


def _read_three(world: SyncWorld) -> tuple[Any, list[uuid.UUID]]:
    contacts = [world.seed.contacts[k] for k in THREE]
    variables = dict(zip("abc", (c.gid for c in contacts), strict=True))
    result = world.run(world.principal(Role.SALES), READ_THREE, variables)
    assert result.errors is None, result.errors
    return result, [c.id for c in contacts]


def test_reading_three_contacts_writes_one_event_and_three_subject_rows(world: SyncWorld) -> None:
    events_before = {r["id"] for r in _rows(world, AuditEvent)}
    subjects_before = {r["id"] for r in _rows(world, AuditSubject)}
    _, ids = _read_three(world)
    request_id = world.last_context.request_id  # type: ignore[union-attr]
    sales_user = world.seed.tenant_a.users[Role.SALES]
    tenant_id = world.seed.tenant_a.tenant_id

    events = [r for r in _rows(world, AuditEvent) if r["id"] not in events_before]
    assert [(e["action"], e["actor_id"], e["tenant_id"]) for e in events] == [
        ("pii_read", sales_user, tenant_id)
    ]
    event = events[0]
    assert event["purposes"] == "sales"
    assert event["request_id"] == request_id
    assert event["actor_type"] == "user"

    subjects = [r for r in _rows(world, AuditSubject) if r["id"] not in subjects_before]
    by_subject = {
        r["subject_id"]: (r["categories_shown"], r["categories_redacted"]) for r in subjects
    }
    assert by_subject == {
        ids[0]: ("EMAIL,NAME", "DATE_OF_BIRTH"),
        ids[1]: ("EMAIL,NAME", "DATE_OF_BIRTH"),
        ids[2]: ("", "DATE_OF_BIRTH,EMAIL,NAME"),
    }
    for row in subjects:
        assert row["event_id"] == event["id"]
        assert row["actor_id"] == sales_user
        assert row["tenant_id"] == tenant_id
        assert row["purposes"] == "sales"
        assert row["occurred_at"] == event["occurred_at"]


def test_a_request_without_personal_data_writes_no_audit(world: SyncWorld) -> None:
    before = len(_rows(world, AuditEvent))
    c = world.seed.contacts["none"]
    result = world.run(
        world.principal(Role.SALES), "query($id: ID!) { contact(id: $id) { id } }", {"id": c.gid}
    )
    assert result.errors is None
    assert len(_rows(world, AuditEvent)) == before


@pytest.mark.parametrize("role", [Role.SALES, Role.SUPPORT, Role.MARKETING, Role.READ_ONLY])
def test_no_personal_value_in_any_audit_column(world: SyncWorld, role: Role) -> None:
    query = "{ contacts(first: 50) { nodes { id " + " ".join(FIELDS) + " } } }"
    result = world.run(world.principal(role), query)
    assert result.errors is None, result.errors
    shown = str(result.data)
    canaries = {m for c in world.seed.contacts.values() for m in c.canaries.values()}
    if role is Role.SALES:
        assert any(m in shown for m in canaries), "the read should have shown some values"
    dump = repr(_rows(world, AuditEvent)) + repr(_rows(world, AuditSubject))
    assert [m for m in canaries if m in dump] == []
    masks = [v for v in _flat(result.data) if isinstance(v, str) and "***" in v]
    assert [m for m in masks if m in dump] == []


def _flat(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _flat(v)]
    if isinstance(value, list):
        return [x for v in value for x in _flat(v)]
    return [value]


def test_personal_data_access_lists_reads_newest_first_for_an_admin(world: SyncWorld) -> None:
    seed = world.seed
    c = seed.contacts["withdrawn_sales"]
    one = "query($id: ID!) { contact(id: $id) { firstName phone } }"
    requests = []
    for role in (Role.SALES, Role.SUPPORT, Role.MARKETING):
        result = world.run(world.principal(role), one, {"id": c.gid})
        assert result.errors is None
        requests.append((role, world.last_context.request_id))  # type: ignore[union-attr]

    result = world.run(world.principal(Role.ADMIN), ACCESS, {"contact": c.gid})
    assert result.errors is None, result.errors
    entries = result.data["personalDataAccess"]
    assert [e["requestId"] for e in entries] == [rid for _, rid in reversed(requests)]
    assert [e["actor"] for e in entries] == [
        {"id": encode_id("Member", seed.tenant_a.users[role]), "displayName": f"{role.value} user"}
        for role, _ in reversed(requests)
    ]
    assert [(e["purposes"], e["categoriesShown"], e["categoriesRedacted"]) for e in entries] == [
        (["marketing"], [], ["NAME", "PHONE"]),  # its declared purpose; no consent
        (["support"], ["PHONE"], ["NAME"]),  # phone masked, first name not maskable
        (["sales"], [], ["NAME", "PHONE"]),  # sales consent withdrawn
    ]
    assert entries[0]["occurredAt"] >= entries[1]["occurredAt"] >= entries[2]["occurredAt"]

    first_only = world.run(world.principal(Role.OWNER), ACCESS, {"contact": c.gid, "first": 1})
    assert first_only.errors is None
    assert first_only.data["personalDataAccess"] == entries[:1]


def test_personal_data_access_of_a_contact_nobody_read_is_empty(world: SyncWorld) -> None:
    c = world.seed.contacts["granted_support"]
    result = world.run(world.principal(Role.ADMIN), ACCESS, {"contact": c.gid})
    assert result.errors is None
    assert result.data == {"personalDataAccess": []}


def test_personal_data_access_refuses_a_negative_or_huge_first(world: SyncWorld) -> None:
    c = world.seed.contacts["none"]
    for first in (-1, 101):
        result = world.run(world.principal(Role.ADMIN), ACCESS, {"contact": c.gid, "first": first})
        assert result.data is None
        assert [(e.extensions["code"], e.extensions["field"]) for e in result.errors] == [
            ("BAD_USER_INPUT", "first")
        ]


def test_personal_data_access_actor_is_null_once_the_member_left(world: SyncWorld) -> None:
    seed = world.seed
    c = seed.contacts["none"]
    _read_three(world)
    sales_user = seed.tenant_a.users[Role.SALES]

    async def remove() -> None:
        async with world.services.db.session(seed.tenant_a.tenant_id) as session:
            await session.execute(delete(Membership).where(Membership.user_id == sales_user))
            await session.commit()

    world.call(remove())
    result = world.run(world.principal(Role.ADMIN), ACCESS, {"contact": c.gid})
    assert result.errors is None, result.errors
    [entry] = result.data["personalDataAccess"]
    assert entry["actor"] is None
    assert entry["categoriesShown"] == ["EMAIL", "NAME"]


@pytest.mark.parametrize("role", [Role.SALES, Role.MARKETING, Role.SUPPORT, Role.READ_ONLY])
def test_personal_data_access_is_forbidden_without_audit_read(world: SyncWorld, role: Role) -> None:
    _read_three(world)
    c = world.seed.contacts["none"]
    result = world.run(world.principal(role), ACCESS, {"contact": c.gid})
    assert result.data is None
    assert [e.extensions["code"] for e in result.errors] == ["FORBIDDEN"]


def test_another_tenants_contact_is_not_found_like_a_missing_one(world: SyncWorld) -> None:
    _read_three(world)
    theirs = world.seed.contacts["none"].gid
    missing = encode_id("Contact", uuid.uuid4())
    admin_b = world.principal(Role.ADMIN, tenant="b")
    answers = [world.run(admin_b, ACCESS, {"contact": gid}) for gid in (theirs, missing, "x")]
    formatted = [[e.formatted for e in r.errors] for r in answers]
    assert all(r.data is None for r in answers)
    assert formatted[0] == formatted[1] == formatted[2]
    assert formatted[0][0]["extensions"] == {"code": "NOT_FOUND", "field": "contact"}


def test_a_rolled_back_mutation_leaves_no_audit_of_its_changes(world: SyncWorld) -> None:
    c = world.seed.contacts["none"]
    consents_before = len(_rows(world, ConsentEvent))
    actions_before = [r for r in _rows(world, AuditEvent) if r["action"] != "pii_read"]
    result = world.run(
        world.principal(Role.OWNER),
        """mutation($c: ID!, $missing: ID!) {
          a: recordConsent(contact: $c, consent: {purpose: MARKETING, source: "form",
                          evidence: "e1"}) { contact { id } }
          b: eraseContact(contact: $missing) { contact { id } }
        }""",
        {"c": c.gid, "missing": encode_id("Contact", uuid.uuid4())},
    )
    assert [e.extensions["code"] for e in result.errors] == ["NOT_FOUND"]
    assert len(_rows(world, ConsentEvent)) == consents_before  # the grant was rolled back
    actions_after = [r for r in _rows(world, AuditEvent) if r["action"] != "pii_read"]
    assert actions_after == actions_before
