"""The trash (issue 11, policy section 5): a delete hides the record from every read
path at once (lists and their counts, node/nodes, the record by id, nested relations,
filters; the lists also through the fast executor, which the suite runs in verify mode
against the stock one), admins list it and restore it as it was while the period runs."""

from __future__ import annotations

import asyncio
import uuid
import zipfile
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from auth.permissions import Role
from resolvers.global_ids import decode_id, encode_id
from server.cli import app
from tests.erasure.conftest import codes
from tests.retention.conftest import RESTORE, TRASH, World, ago
from tests.support.world import Runner, TenantWorld

LISTS = """{
  contacts { totalCount nodes { id } }
  companies { totalCount nodes { id } }
  deals { totalCount nodes { id } }
  activities { totalCount nodes { id } }
}"""
NESTED = """query($k: ID!, $d: ID!) {
  company(id: $k) { contacts { id } deals { id } activities { id } }
  deal(id: $d) { primaryContact { id } activities { id } }
}"""
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"


async def linked(world: World) -> dict[str, str]:
    company = await world.company()
    contact = await world.contact(company=company)
    deal = await world.deal(contact=contact, company=company)
    activity = await world.activity(contact=contact, company=company, deal=deal)
    return {"Company": company, "Contact": contact, "Deal": deal, "Activity": activity}


def ids(data: dict[str, Any], root: str) -> list[str]:
    return [n["id"] for n in data[root]["nodes"]]


async def test_deleted_records_leave_every_list_and_its_count(world: World) -> None:
    records = await linked(world)
    for gid in records.values():
        await world.delete(gid)
    data = await world.ok(LISTS)
    assert {root: (data[root]["totalCount"], ids(data, root)) for root in data} == {
        "contacts": (0, []), "companies": (0, []), "deals": (0, []), "activities": (0, [])
    }  # fmt: skip


async def test_a_deleted_record_is_not_found_by_id_or_node(world: World) -> None:
    records = await linked(world)
    for gid in records.values():
        await world.delete(gid)
    for type_name, gid in records.items():
        field = type_name[0].lower() + type_name[1:]
        result = await world.run(f"query($id: ID!) {{ {field}(id: $id) {{ id }} }}", id=gid)
        assert codes(result) == ["NOT_FOUND"], type_name
    found = await world.ok(NODES, ids=list(records.values()))
    assert found["nodes"] == [None] * 4


async def test_deleted_records_leave_nested_relations(world: World) -> None:
    records = await linked(world)
    other = await world.deal(company=records["Company"])
    await world.delete(records["Contact"])
    await world.delete(records["Activity"])
    data = await world.ok(NESTED, k=records["Company"], d=records["Deal"])
    assert data == {
        "company": {"contacts": [], "deals": [{"id": other}, {"id": records["Deal"]}],
                    "activities": []},
        "deal": {"primaryContact": None, "activities": []},
    }  # fmt: skip


async def test_a_deleted_record_is_not_a_filter_value_nor_found_by_a_filter(
    world: World,
) -> None:
    company = await world.company()
    await world.contact(company=company)
    await world.delete(company)
    by_company = await world.run(
        "query($k: ID!) { contacts(filter: {company: $k}) { nodes { id } } }", k=company
    )
    assert codes(by_company) == ["NOT_FOUND"]
    kept = await world.contact(lastName="Trashable")
    await world.delete(kept)
    searched = await world.ok('{ contacts(filter: {search: "trashable"}) { totalCount } }')
    assert searched["contacts"]["totalCount"] == 0


async def test_admins_see_the_trash_with_its_restore_deadline(world: World) -> None:
    contact = await world.contact()
    await world.delete(contact)
    (item,) = (await world.ok(TRASH))["trash"]
    assert (item["id"], item["type"]) == (contact, "Contact")
    assert item["deletedBy"] == encode_id("Member", world.world.users[Role.ADMIN])
    assert item["restorableUntil"] > item["deletedAt"]


async def test_only_privacy_admins_see_the_trash(world: World) -> None:
    assert codes(await world.run(TRASH, Role.SALES)) == ["FORBIDDEN"]


async def test_restore_brings_the_record_back_as_it_was(world: World) -> None:
    records = await linked(world)
    await world.delete(records["Contact"])
    restored = await world.ok(RESTORE, id=records["Contact"])
    assert restored["restore"] == {"restoredId": records["Contact"]}
    data = await world.ok(NESTED, k=records["Company"], d=records["Deal"])
    assert data["deal"]["primaryContact"] == {"id": records["Contact"]}
    assert (await world.ok(TRASH))["trash"] == []


async def test_restore_after_the_trash_period_is_refused(world: World) -> None:
    contact = await world.contact()
    await world.delete(contact)
    await world.age(contact, deleted_at=ago(31))
    assert codes(await world.run(RESTORE, id=contact)) == ["TRASH_PERIOD_ENDED"]


async def test_restoring_what_is_not_in_the_trash_answers_like_a_missing_record(
    world: World,
) -> None:
    live = await world.contact()
    missing = encode_id("Contact", uuid.uuid4())
    answers = [await world.run(RESTORE, id=gid) for gid in (live, missing)]
    assert [codes(a) for a in answers] == [["NOT_FOUND"], ["NOT_FOUND"]]
    assert answers[0].errors[0].message == answers[1].errors[0].message


async def test_another_tenants_trash_answers_like_a_missing_record(
    world: World, runner: Runner, tenant_b: TenantWorld
) -> None:
    theirs = World(runner, tenant_b, world.services)
    contact = await theirs.contact()
    await theirs.delete(contact)
    missing = encode_id("Contact", uuid.uuid4())
    answers = [await world.run(RESTORE, id=gid) for gid in (contact, missing)]
    as_json = [(a.data, [(e.message, e.extensions) for e in a.errors]) for a in answers]
    assert as_json[0] == as_json[1]
    assert (await world.ok(TRASH))["trash"] == []


async def test_a_deleted_contact_is_still_in_their_export_until_the_purge(
    world: World, tmp_path: Path
) -> None:
    """Right of access: what the trash still holds is data held about the person."""
    contact = await world.contact(lastName="Trashedperson")
    await world.delete(contact)
    out = tmp_path / "export.zip"
    result = await asyncio.to_thread(
        CliRunner().invoke, app,
        ["privacy", "export", "--tenant", "acme-corp", "--contact", str(decode_id(contact)[1]),
         "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        assert b"Trashedperson" in archive.read("data.json")


async def test_the_trash_hides_and_restores_on_both_databases(store: World) -> None:
    """The same through the application's role under row-level security on PostgreSQL."""
    contact = await store.contact()
    await store.delete(contact)
    listed = await store.ok("{ contacts { totalCount } }")
    assert listed["contacts"]["totalCount"] == 0
    assert [i["id"] for i in (await store.ok(TRASH))["trash"]] == [contact]
    await store.ok(RESTORE, id=contact)
    assert (await store.ok("{ contacts { totalCount } }"))["contacts"]["totalCount"] == 1
