"""Activities: queries, mutations, validation, roles, redaction of the body, tenant
isolation and pagination."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from auth.permissions import Role
from models import Activity
from resolvers.global_ids import decode_id, encode_id
from tests.support.results import codes, errors, row_count, row_snapshot

FIELDS = "id kind subject body dueAt done"
CREATE = f"""
mutation($input: CreateActivityInput!) {{
  createActivity(input: $input) {{ activity {{ {FIELDS} }} }}
}}
"""
UPDATE = f"""
mutation($id: ID!, $input: UpdateActivityInput!) {{
  updateActivity(id: $id, input: $input) {{ activity {{ {FIELDS} }} }}
}}
"""
DELETE = "mutation($id: ID!) { deleteActivity(id: $id) { deletedId } }"
READ = f"query($id: ID!) {{ activity(id: $id) {{ {FIELDS} }} }}"
LIST = """
query($filter: ActivityFilter, $first: Int, $after: String, $last: Int, $before: String) {
  activities(filter: $filter, descending: false, first: $first, after: $after, last: $last,
             before: $before) {
    totalCount
    nodes { subject }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


async def count(services: Any, world: Any, model: Any = Activity) -> int:
    return await row_count(services, world, model)


async def snapshot(services: Any, world: Any) -> list[tuple[Any, ...]]:
    return await row_snapshot(services, world, Activity)


async def create_contact(runner: Any, world: Any) -> str:
    result = await runner(
        world.principal(Role.SALES),
        'mutation { createContact(input: {firstName: "Peter"}) { contact { id } } }',
    )
    return result.data["createContact"]["contact"]["id"]


async def create(runner: Any, world: Any, **fields: Any) -> dict[str, Any]:
    if not {"contact", "company", "deal"} & fields.keys():
        fields["contact"] = await create_contact(runner, world)
    fields = {"kind": "NOTE", "subject": "Call back", **fields}
    result = await runner(world.principal(Role.SALES), CREATE, {"input": fields})
    assert result.errors is None, result.errors
    return result.data["createActivity"]["activity"]


def missing_id(type_name: str = "Activity") -> str:
    return encode_id(type_name, uuid.uuid4())


async def test_created_activity_is_read_back_by_id(runner, tenant_a):
    created = await create(
        runner, tenant_a, kind="TASK", subject=" Send quote ", body="Wants 10% off",
        dueAt="2030-01-31T09:00:00+01:00",
    )  # fmt: skip
    read = await runner(tenant_a.principal(Role.SALES), READ, {"id": created["id"]})
    assert read.errors is None, read.errors
    assert read.data["activity"] == {
        "id": created["id"],
        "kind": "TASK",
        "subject": "Send quote",
        "body": "Wants 10% off",
        "dueAt": "2030-01-31T08:00:00+00:00",
        "done": False,
    }


async def test_created_activity_is_authored_by_its_creator(runner, tenant_a):
    created = await create(runner, tenant_a)
    read = await runner(
        tenant_a.principal(Role.SALES),
        "query($id: ID!) { activity(id: $id) { author { id } } }",
        {"id": created["id"]},
    )
    assert read.data["activity"]["author"] == {
        "id": encode_id("Member", tenant_a.users[Role.SALES])
    }


async def test_activity_body_is_encrypted_at_rest(runner, services, tenant_a):
    created = await create(runner, tenant_a, body="Wants 10% off")
    _, activity_id = decode_id(created["id"])
    async with services.db.session(tenant_a.tenant_id) as session:
        stored = (
            await session.execute(select(Activity.body_enc).where(Activity.id == activity_id))
        ).scalar_one()
    assert b"Wants" not in stored


async def test_update_changes_only_the_fields_sent(runner, tenant_a):
    created = await create(runner, tenant_a, kind="TASK", body="b")
    result = await runner(
        tenant_a.principal(Role.SALES), UPDATE, {"id": created["id"], "input": {"done": True}}
    )
    assert result.errors is None, result.errors
    assert result.data["updateActivity"]["activity"] == {**created, "done": True}


async def test_deleted_activity_is_not_found_afterwards(runner, services, tenant_a):
    created = await create(runner, tenant_a)
    sales = tenant_a.principal(Role.SALES)
    deleted = await runner(sales, DELETE, {"id": created["id"]})
    assert deleted.data == {"deleteActivity": {"deletedId": created["id"]}}
    read = await runner(sales, READ, {"id": created["id"]})
    assert codes(read) == [{"code": "NOT_FOUND", "field": "id"}]
    assert await count(services, tenant_a) == 0


async def test_activities_filter_by_kind_contact_and_done(runner, tenant_a):
    contact = await create_contact(runner, tenant_a)
    await create(runner, tenant_a, subject="match", kind="TASK", contact=contact)
    await create(runner, tenant_a, subject="other kind", kind="CALL", contact=contact)
    await create(runner, tenant_a, subject="other contact", kind="TASK")
    await create(runner, tenant_a, subject="done", kind="TASK", contact=contact, done=True)
    result = await runner(
        tenant_a.principal(Role.SALES),
        LIST,
        {"filter": {"kind": "TASK", "contact": contact, "done": False}},
    )
    assert result.data["activities"]["nodes"] == [{"subject": "match"}]


async def test_activities_filter_by_due_window(runner, tenant_a):
    await create(runner, tenant_a, subject="early", dueAt="2030-01-01T00:00:00Z")
    await create(runner, tenant_a, subject="inside", dueAt="2030-06-01T00:00:00Z")
    await create(runner, tenant_a, subject="late", dueAt="2031-01-01T00:00:00Z")
    await create(runner, tenant_a, subject="undated")
    window = {"dueAfter": "2030-01-01T00:00:01Z", "dueBefore": "2031-01-01T00:00:00Z"}
    result = await runner(tenant_a.principal(Role.SALES), LIST, {"filter": window})
    assert result.data["activities"]["nodes"] == [{"subject": "inside"}]


async def test_unknown_kind_is_refused_and_nothing_is_written(runner, services, tenant_a):
    """`kind` is the ActivityKind enum: an unknown value is refused by the variables'
    coercion, before any resolver runs."""
    contact = await create_contact(runner, tenant_a)
    result = await runner(
        tenant_a.principal(Role.SALES),
        CREATE,
        {"input": {"kind": "FAX", "subject": "s", "contact": contact}},
    )
    assert codes(result) == [{"code": "BAD_USER_INPUT"}]
    assert await count(services, tenant_a) == 0


async def test_activity_without_subject_is_refused(runner, services, tenant_a):
    contact = await create_contact(runner, tenant_a)
    result = await runner(
        tenant_a.principal(Role.SALES), CREATE, {"input": {"kind": "NOTE", "contact": contact}}
    )
    assert codes(result) == [{"code": "BAD_USER_INPUT"}]  # CreateActivityInput.subject: String!
    assert await count(services, tenant_a) == 0


async def test_subject_over_200_characters_is_refused(runner, services, tenant_a):
    contact = await create_contact(runner, tenant_a)
    result = await runner(
        tenant_a.principal(Role.SALES),
        CREATE,
        {"input": {"kind": "NOTE", "subject": "s" * 201, "contact": contact}},
    )
    assert codes(result) == [{"code": "BAD_USER_INPUT", "field": "subject"}]
    assert await count(services, tenant_a) == 0


async def test_activity_without_any_link_is_refused(runner, services, tenant_a):
    result = await runner(
        tenant_a.principal(Role.SALES), CREATE, {"input": {"kind": "NOTE", "subject": "s"}}
    )
    assert errors(result) == [
        {
            "message": "Link the activity to a contact, a company or a deal.",
            "path": ["createActivity"],
            "extensions": {"code": "BAD_USER_INPUT", "field": "contact"},
        }
    ]
    assert await count(services, tenant_a) == 0


async def test_removing_the_only_link_is_refused_and_nothing_changes(runner, services, tenant_a):
    created = await create(runner, tenant_a)
    before = await snapshot(services, tenant_a)
    result = await runner(
        tenant_a.principal(Role.SALES),
        UPDATE,
        {"id": created["id"], "input": {"subject": "changed", "contact": None}},
    )
    assert codes(result) == [{"code": "BAD_USER_INPUT", "field": "contact"}]
    assert await snapshot(services, tenant_a) == before


async def test_due_time_without_a_time_zone_is_refused(runner, services, tenant_a):
    contact = await create_contact(runner, tenant_a)
    result = await runner(
        tenant_a.principal(Role.SALES),
        CREATE,
        {"input": {"kind": "TASK", "subject": "s", "contact": contact,
                   "dueAt": "2030-01-01T09:00:00"}},
    )  # fmt: skip
    assert codes(result) == [{"code": "BAD_USER_INPUT", "field": "dueAt"}]
    assert await count(services, tenant_a) == 0


async def test_contact_of_another_tenant_is_refused_like_a_missing_one(
    runner, services, tenant_a, tenant_b
):
    foreign = await create_contact(runner, tenant_b)
    sales = tenant_a.principal(Role.SALES)
    base = {"kind": "NOTE", "subject": "s"}
    as_foreign = await runner(sales, CREATE, {"input": {**base, "contact": foreign}})
    as_missing = await runner(sales, CREATE, {"input": {**base, "contact": missing_id("Contact")}})
    assert errors(as_foreign) == errors(as_missing)
    assert codes(as_missing) == [{"code": "NOT_FOUND", "field": "contact"}]
    assert await count(services, tenant_a) == 0


async def test_deal_of_another_tenant_is_refused_like_a_missing_one(
    runner, services, tenant_a, tenant_b
):
    made = await runner(
        tenant_b.principal(Role.SALES),
        'mutation { createDeal(input: {title: "B"}) { deal { id } } }',
    )
    foreign = made.data["createDeal"]["deal"]["id"]
    sales = tenant_a.principal(Role.SALES)
    base = {"kind": "NOTE", "subject": "s"}
    as_foreign = await runner(sales, CREATE, {"input": {**base, "deal": foreign}})
    as_missing = await runner(sales, CREATE, {"input": {**base, "deal": missing_id("Deal")}})
    assert errors(as_foreign) == errors(as_missing)
    assert codes(as_missing) == [{"code": "NOT_FOUND", "field": "deal"}]
    assert await count(services, tenant_a) == 0


async def test_read_only_cannot_create_an_activity(runner, services, tenant_a):
    contact = await create_contact(runner, tenant_a)
    result = await runner(
        tenant_a.principal(Role.READ_ONLY),
        CREATE,
        {"input": {"kind": "NOTE", "subject": "s", "contact": contact}},
    )
    assert [c["code"] for c in codes(result)] == ["FORBIDDEN"]
    assert await count(services, tenant_a) == 0


async def test_read_only_cannot_update_an_activity(runner, services, tenant_a):
    created = await create(runner, tenant_a)
    before = await snapshot(services, tenant_a)
    result = await runner(
        tenant_a.principal(Role.READ_ONLY), UPDATE, {"id": created["id"], "input": {"done": True}}
    )
    assert [c["code"] for c in codes(result)] == ["FORBIDDEN"]
    assert await snapshot(services, tenant_a) == before


async def test_read_only_cannot_delete_an_activity(runner, services, tenant_a):
    created = await create(runner, tenant_a)
    result = await runner(tenant_a.principal(Role.READ_ONLY), DELETE, {"id": created["id"]})
    assert [c["code"] for c in codes(result)] == ["FORBIDDEN"]
    assert await count(services, tenant_a) == 1


async def test_marketing_cannot_list_activities(runner, tenant_a):
    await create(runner, tenant_a)
    result = await runner(tenant_a.principal(Role.MARKETING), LIST, {})
    assert result.data is None
    assert [c["code"] for c in codes(result)] == ["FORBIDDEN"]


async def test_support_reads_the_body_of_an_activity(runner, tenant_a):
    created = await create(runner, tenant_a, body="Asked about the invoice")
    result = await runner(tenant_a.principal(Role.SUPPORT), READ, {"id": created["id"]})
    assert result.errors is None, result.errors
    assert result.data["activity"]["body"] == "Asked about the invoice"
    assert "redactions" not in (result.extensions or {})


async def test_body_is_redacted_once_the_contact_restricts_processing(runner, tenant_a):
    contact = await create_contact(runner, tenant_a)
    created = await create(runner, tenant_a, body="Asked about the invoice", contact=contact)
    restricted = await runner(
        tenant_a.principal(Role.ADMIN),
        "mutation($c: ID!) { restrictProcessing(contact: $c) { contact { id } } }",
        {"c": contact},
    )
    assert restricted.errors is None, restricted.errors
    result = await runner(tenant_a.principal(Role.SUPPORT), READ, {"id": created["id"]})
    assert result.errors is None, result.errors
    assert result.data["activity"]["body"] is None
    assert result.data["activity"]["subject"] == "Call back"
    # Support may not read consent: the reason says nothing about the person's state.
    assert result.extensions["redactions"] == [
        {"path": ["activity", "body"], "reason": "NOT_PERMITTED_FOR_PURPOSE", "category": "NOTES"}
    ]


async def test_body_in_a_list_is_redacted_for_the_restricted_contact_only(runner, tenant_a):
    restricted_contact = await create_contact(runner, tenant_a)
    await create(runner, tenant_a, subject="first", body="one", contact=restricted_contact)
    await create(runner, tenant_a, subject="second", body="two")
    await runner(
        tenant_a.principal(Role.ADMIN),
        "mutation($c: ID!) { restrictProcessing(contact: $c) { contact { id } } }",
        {"c": restricted_contact},
    )
    result = await runner(
        tenant_a.principal(Role.SUPPORT),
        "{ activities(first: 5, descending: false) { nodes { subject body } } }",
    )
    assert result.data["activities"]["nodes"] == [
        {"subject": "first", "body": None},
        {"subject": "second", "body": "two"},
    ]
    assert [r["path"] for r in result.extensions["redactions"]] == [
        ["activities", "nodes", 0, "body"]
    ]


async def test_body_about_an_erased_contact_is_refused(runner, services, tenant_a):
    contact = await create_contact(runner, tenant_a)
    erased = await runner(
        tenant_a.principal(Role.ADMIN),
        "mutation($c: ID!) { eraseContact(contact: $c) { contact { id } } }",
        {"c": contact},
    )
    assert erased.errors is None, erased.errors
    result = await runner(
        tenant_a.principal(Role.SALES),
        CREATE,
        {"input": {"kind": "NOTE", "subject": "s", "body": "about them", "contact": contact}},
    )
    assert [c["code"] for c in codes(result)] == ["CONFLICT"]
    assert await count(services, tenant_a) == 0


async def test_another_tenants_activity_reads_like_a_missing_one(runner, tenant_a, tenant_b):
    created = await create(runner, tenant_a, body="secret")
    intruder = tenant_b.principal(Role.OWNER)
    foreign = await runner(intruder, READ, {"id": created["id"]})
    missing = await runner(intruder, READ, {"id": missing_id()})
    assert foreign.data is None and missing.data is None
    assert errors(foreign) == errors(missing)
    assert codes(missing) == [{"code": "NOT_FOUND", "field": "id"}]


async def test_another_tenants_activity_updates_like_a_missing_one(
    runner, services, tenant_a, tenant_b
):
    created = await create(runner, tenant_a)
    before = await snapshot(services, tenant_a)
    intruder = tenant_b.principal(Role.OWNER)
    change = {"input": {"done": True}}
    foreign = await runner(intruder, UPDATE, {"id": created["id"], **change})
    missing = await runner(intruder, UPDATE, {"id": missing_id(), **change})
    assert errors(foreign) == errors(missing)
    assert codes(missing) == [{"code": "NOT_FOUND", "field": "id"}]
    assert await snapshot(services, tenant_a) == before


async def test_another_tenants_activity_deletes_like_a_missing_one(
    runner, services, tenant_a, tenant_b
):
    created = await create(runner, tenant_a)
    before = await snapshot(services, tenant_a)
    intruder = tenant_b.principal(Role.OWNER)
    foreign = await runner(intruder, DELETE, {"id": created["id"]})
    missing = await runner(intruder, DELETE, {"id": missing_id()})
    assert errors(foreign) == errors(missing)
    assert codes(missing) == [{"code": "NOT_FOUND", "field": "id"}]
    assert await snapshot(services, tenant_a) == before


async def test_filter_by_another_tenants_contact_fails_like_a_missing_one(
    runner, tenant_a, tenant_b
):
    contact = await create_contact(runner, tenant_a)
    await create(runner, tenant_a, contact=contact)
    intruder = tenant_b.principal(Role.OWNER)
    foreign = await runner(intruder, LIST, {"filter": {"contact": contact}})
    missing = await runner(intruder, LIST, {"filter": {"contact": missing_id("Contact")}})
    assert errors(foreign) == errors(missing)
    assert codes(missing) == [{"code": "NOT_FOUND", "field": "contact"}]


async def test_activities_page_forward_and_back_with_cursors(runner, tenant_a):
    contact = await create_contact(runner, tenant_a)
    for subject in ("a1", "a2", "a3", "a4", "a5"):
        await create(runner, tenant_a, subject=subject, contact=contact)
    sales = tenant_a.principal(Role.SALES)
    first = await runner(sales, LIST, {"first": 3})
    page = first.data["activities"]
    assert [n["subject"] for n in page["nodes"]] == ["a1", "a2", "a3"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await runner(sales, LIST, {"first": 3, "after": page["pageInfo"]["endCursor"]})
    assert [n["subject"] for n in rest.data["activities"]["nodes"]] == ["a4", "a5"]
    assert rest.data["activities"]["pageInfo"]["hasNextPage"] is False
    start = rest.data["activities"]["pageInfo"]["startCursor"]
    back = await runner(sales, LIST, {"last": 2, "before": start})
    assert [n["subject"] for n in back.data["activities"]["nodes"]] == ["a2", "a3"]
    assert back.data["activities"]["pageInfo"]["hasPreviousPage"] is True
    assert back.data["activities"]["totalCount"] == 5


async def test_activity_page_larger_than_the_cap_is_refused(runner, services, tenant_a):
    cap = services.settings.limits.max_page_size
    result = await runner(tenant_a.principal(Role.SALES), LIST, {"first": cap + 1})
    assert errors(result) == [
        {
            "message": f"Page size is capped at {cap}.",
            "path": ["activities"],
            "extensions": {"code": "BAD_USER_INPUT", "field": "first"},
        }
    ]
