"""Companies: queries, mutations, validation, roles, tenant isolation and pagination."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from auth.permissions import Role
from models import Activity, Company, Contact, Deal
from models.base import utcnow
from privacy.retention.purge import purge
from privacy.retention.trash import trashed
from resolvers.global_ids import decode_id, encode_id
from tests.support.results import errors, row_count, row_snapshot

CREATE = """
mutation($input: CreateCompanyInput!) {
  createCompany(input: $input) {
    company { id name domain industry size address owner { id } }
  }
}
"""
UPDATE = """
mutation($id: ID!, $input: UpdateCompanyInput!) {
  updateCompany(id: $id, input: $input) { company { id name domain industry size address } }
}
"""
DELETE = "mutation($id: ID!) { deleteCompany(id: $id) { deletedId } }"
READ = "query($id: ID!) { company(id: $id) { id name domain industry size address } }"
LIST = """
query($filter: CompanyFilter, $first: Int, $after: String, $last: Int, $before: String) {
  companies(filter: $filter, orderBy: NAME, descending: false, first: $first, after: $after,
            last: $last, before: $before) {
    totalCount
    nodes { name }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


count = row_count


async def snapshot(services: Any, world: Any) -> list[tuple[Any, ...]]:
    return await row_snapshot(services, world, Company)


async def create(runner: Any, world: Any, **fields: Any) -> dict[str, Any]:
    result = await runner(world.principal(Role.SALES), CREATE, {"input": fields})
    assert result.errors is None, result.errors
    return result.data["createCompany"]["company"]


def missing_id() -> str:
    return encode_id("Company", uuid.uuid4())


async def test_created_company_is_read_back_by_id_with_its_fields(runner, tenant_a):
    created = await create(
        runner, tenant_a, name=" Initech ", domain="Initech.COM", industry="Software",
        size=250, address="4120 Freidrich Lane, Austin",
    )  # fmt: skip
    read = await runner(tenant_a.principal(Role.SALES), READ, {"id": created["id"]})
    assert read.errors is None, read.errors
    assert read.data["company"] == {
        "id": created["id"],
        "name": "Initech",
        "domain": "initech.com",
        "industry": "Software",
        "size": 250,
        "address": "4120 Freidrich Lane, Austin",
    }


async def test_created_company_is_owned_by_its_creator(runner, tenant_a):
    created = await create(runner, tenant_a, name="Initech")
    assert created["owner"] == {"id": encode_id("Member", tenant_a.users[Role.SALES])}


async def test_company_address_is_encrypted_at_rest(runner, services, tenant_a):
    created = await create(runner, tenant_a, name="Initech", address="4120 Freidrich Lane")
    _, company_id = decode_id(created["id"])
    async with services.db.session(tenant_a.tenant_id) as session:
        stored = (
            await session.execute(select(Company.address_enc).where(Company.id == company_id))
        ).scalar_one()
    assert b"Freidrich" not in stored


async def test_company_search_matches_names_case_insensitively(runner, tenant_a):
    for name in ("Globex", "Acme Rockets", "ACME Anvils"):
        await create(runner, tenant_a, name=name)
    result = await runner(tenant_a.principal(Role.SALES), LIST, {"filter": {"search": "acme"}})
    assert result.errors is None, result.errors
    assert result.data["companies"]["nodes"] == [{"name": "ACME Anvils"}, {"name": "Acme Rockets"}]
    assert result.data["companies"]["totalCount"] == 2


async def test_company_search_treats_like_wildcards_literally(runner, tenant_a):
    await create(runner, tenant_a, name="100% Juice")
    await create(runner, tenant_a, name="1000 Juices")
    result = await runner(tenant_a.principal(Role.SALES), LIST, {"filter": {"search": "0%"}})
    assert result.data["companies"]["nodes"] == [{"name": "100% Juice"}]


async def test_company_list_filters_by_industry_case_insensitively(runner, tenant_a):
    await create(runner, tenant_a, name="A", industry="Software")
    await create(runner, tenant_a, name="B", industry="Retail")
    result = await runner(
        tenant_a.principal(Role.SALES), LIST, {"filter": {"industry": "software"}}
    )
    assert result.data["companies"]["nodes"] == [{"name": "A"}]


async def test_company_list_filters_by_owner(runner, tenant_a):
    admin = encode_id("Member", tenant_a.users[Role.ADMIN])
    await create(runner, tenant_a, name="Mine")
    await create(runner, tenant_a, name="Admin's", owner=admin)
    result = await runner(tenant_a.principal(Role.SALES), LIST, {"filter": {"owner": admin}})
    assert result.errors is None, result.errors
    assert result.data["companies"]["nodes"] == [{"name": "Admin's"}]


async def test_update_changes_only_the_fields_sent(runner, tenant_a):
    created = await create(runner, tenant_a, name="Initech", industry="Software", size=10)
    result = await runner(
        tenant_a.principal(Role.SALES), UPDATE, {"id": created["id"], "input": {"size": 12}}
    )
    assert result.errors is None, result.errors
    assert result.data["updateCompany"]["company"] == {
        "id": created["id"],
        "name": "Initech",
        "domain": None,
        "industry": "Software",
        "size": 12,
        "address": None,
    }


async def test_update_can_clear_an_optional_field(runner, tenant_a):
    created = await create(runner, tenant_a, name="Initech", domain="initech.com")
    result = await runner(
        tenant_a.principal(Role.SALES), UPDATE, {"id": created["id"], "input": {"domain": None}}
    )
    assert result.data["updateCompany"]["company"]["domain"] is None


async def test_deleted_company_is_not_found_afterwards(runner, services, tenant_a):
    created = await create(runner, tenant_a, name="Initech")
    sales = tenant_a.principal(Role.SALES)
    deleted = await runner(sales, DELETE, {"id": created["id"]})
    assert deleted.errors is None, deleted.errors
    assert deleted.data["deleteCompany"] == {"deletedId": created["id"]}
    read = await runner(sales, READ, {"id": created["id"]})
    assert [e["extensions"]["code"] for e in errors(read)] == ["NOT_FOUND"]
    assert await count(services, tenant_a, Company) == 0


async def test_the_purge_of_a_deleted_company_unlinks_its_contacts_deals_and_activities(
    runner, services, tenant_a
):
    """A delete moves the company to the trash with its links intact (a restore brings it
    back as it was); the purge, once the trash period ends, removes it and unlinks."""
    sales = tenant_a.principal(Role.SALES)
    company = (await create(runner, tenant_a, name="Initech"))["id"]
    linked = await runner(
        sales,
        """mutation($c: ID) {
          createContact(input: {firstName: "Peter", company: $c}) { contact { id } }
          createDeal(input: {title: "TPS", company: $c}) { deal { id } }
          createActivity(input: {kind: NOTE, subject: "Hi", company: $c}) { activity { id } }
        }""",
        {"c": company},
    )
    assert linked.errors is None, linked.errors
    deleted = await runner(sales, DELETE, {"id": company})
    assert deleted.errors is None, deleted.errors
    await purge(services, dry_run=False, trigger="cli", now=utcnow() + timedelta(days=31))
    async with services.db.session(tenant_a.tenant_id) as session:
        links = [
            (await session.execute(select(model.company_id))).scalars().all()
            for model in (Contact, Deal, Activity)
        ]
        gone = (await session.execute(trashed(Company))).scalars().all()
    assert links == [[None], [None], [None]]
    assert gone == []


async def test_company_without_name_is_refused_and_nothing_is_written(runner, services, tenant_a):
    result = await runner(tenant_a.principal(Role.SALES), CREATE, {"input": {"industry": "X"}})
    # CreateCompanyInput.name is String!: refused while coercing the variables
    assert [(e["extensions"]) for e in errors(result)] == [{"code": "BAD_USER_INPUT"}]
    assert await count(services, tenant_a, Company) == 0


async def test_blank_company_name_is_refused_and_nothing_is_written(runner, services, tenant_a):
    result = await runner(tenant_a.principal(Role.SALES), CREATE, {"input": {"name": "   "}})
    assert [(e["extensions"]) for e in errors(result)] == [
        {"code": "BAD_USER_INPUT", "field": "name"}
    ]
    assert await count(services, tenant_a, Company) == 0


async def test_company_name_over_200_characters_is_refused(runner, services, tenant_a):
    result = await runner(tenant_a.principal(Role.SALES), CREATE, {"input": {"name": "x" * 201}})
    assert [(e["extensions"]) for e in errors(result)] == [
        {"code": "BAD_USER_INPUT", "field": "name"}
    ]
    assert await count(services, tenant_a, Company) == 0


async def test_company_domain_that_is_not_a_domain_name_is_refused(runner, services, tenant_a):
    for bad in ("https://initech.com/about", "initech", "init ech.com", "-initech.com"):
        result = await runner(
            tenant_a.principal(Role.SALES), CREATE, {"input": {"name": "I", "domain": bad}}
        )
        assert [(e["extensions"]) for e in errors(result)] == [
            {"code": "BAD_USER_INPUT", "field": "domain"}
        ], bad
    assert await count(services, tenant_a, Company) == 0


async def test_negative_company_size_is_refused_and_nothing_is_written(runner, services, tenant_a):
    result = await runner(
        tenant_a.principal(Role.SALES), CREATE, {"input": {"name": "I", "size": -1}}
    )
    assert [(e["extensions"]) for e in errors(result)] == [
        {"code": "BAD_USER_INPUT", "field": "size"}
    ]
    assert await count(services, tenant_a, Company) == 0


async def test_invalid_update_leaves_the_company_unchanged(runner, services, tenant_a):
    created = await create(runner, tenant_a, name="Initech", size=10)
    before = await snapshot(services, tenant_a)
    result = await runner(
        tenant_a.principal(Role.SALES),
        UPDATE,
        {"id": created["id"], "input": {"name": "Renamed", "size": -5}},
    )
    assert [e["extensions"]["code"] for e in errors(result)] == ["BAD_USER_INPUT"]
    assert await snapshot(services, tenant_a) == before


async def test_failed_mutation_in_a_document_rolls_back_the_earlier_writes(
    runner, services, tenant_a
):
    result = await runner(
        tenant_a.principal(Role.SALES),
        """mutation {
          ok: createCompany(input: {name: "Written first"}) { company { id } }
          bad: createCompany(input: {name: "Refused", size: -1}) { company { id } }
        }""",
    )
    assert [e["path"] for e in errors(result)] == [["bad"]]
    assert await count(services, tenant_a, Company) == 0


async def test_owner_from_another_tenant_is_refused_like_a_missing_member(
    runner, services, tenant_a, tenant_b
):
    sales = tenant_a.principal(Role.SALES)
    foreign = encode_id("Member", tenant_b.users[Role.SALES])
    missing = encode_id("Member", uuid.uuid4())
    as_foreign = await runner(sales, CREATE, {"input": {"name": "I", "owner": foreign}})
    as_missing = await runner(sales, CREATE, {"input": {"name": "I", "owner": missing}})
    assert errors(as_foreign) == errors(as_missing)
    assert errors(as_missing)[0]["extensions"] == {"code": "NOT_FOUND", "field": "owner"}
    assert await count(services, tenant_a, Company) == 0


async def test_read_only_cannot_create_a_company(runner, services, tenant_a):
    result = await runner(tenant_a.principal(Role.READ_ONLY), CREATE, {"input": {"name": "I"}})
    assert [e["extensions"]["code"] for e in errors(result)] == ["FORBIDDEN"]
    assert await count(services, tenant_a, Company) == 0


async def test_read_only_cannot_update_a_company(runner, services, tenant_a):
    created = await create(runner, tenant_a, name="Initech")
    before = await snapshot(services, tenant_a)
    result = await runner(
        tenant_a.principal(Role.READ_ONLY), UPDATE, {"id": created["id"], "input": {"name": "X"}}
    )
    assert [e["extensions"]["code"] for e in errors(result)] == ["FORBIDDEN"]
    assert await snapshot(services, tenant_a) == before


async def test_read_only_cannot_delete_a_company(runner, services, tenant_a):
    created = await create(runner, tenant_a, name="Initech")
    result = await runner(tenant_a.principal(Role.READ_ONLY), DELETE, {"id": created["id"]})
    assert [e["extensions"]["code"] for e in errors(result)] == ["FORBIDDEN"]
    assert await count(services, tenant_a, Company) == 1


async def test_another_tenants_company_reads_like_a_missing_one(runner, tenant_a, tenant_b):
    created = await create(runner, tenant_a, name="Initech")
    intruder = tenant_b.principal(Role.OWNER)
    foreign = await runner(intruder, READ, {"id": created["id"]})
    missing = await runner(intruder, READ, {"id": missing_id()})
    assert foreign.data is None and missing.data is None
    assert errors(foreign) == errors(missing)
    assert errors(missing)[0]["extensions"] == {"code": "NOT_FOUND", "field": "id"}


async def test_another_tenants_company_updates_like_a_missing_one(
    runner, services, tenant_a, tenant_b
):
    created = await create(runner, tenant_a, name="Initech")
    before = await snapshot(services, tenant_a)
    intruder = tenant_b.principal(Role.OWNER)
    change = {"input": {"name": "Pwned"}}
    foreign = await runner(intruder, UPDATE, {"id": created["id"], **change})
    missing = await runner(intruder, UPDATE, {"id": missing_id(), **change})
    assert errors(foreign) == errors(missing)
    assert errors(missing)[0]["extensions"]["code"] == "NOT_FOUND"
    assert await snapshot(services, tenant_a) == before


async def test_another_tenants_company_deletes_like_a_missing_one(
    runner, services, tenant_a, tenant_b
):
    created = await create(runner, tenant_a, name="Initech")
    before = await snapshot(services, tenant_a)
    intruder = tenant_b.principal(Role.OWNER)
    foreign = await runner(intruder, DELETE, {"id": created["id"]})
    missing = await runner(intruder, DELETE, {"id": missing_id()})
    assert errors(foreign) == errors(missing)
    assert errors(missing)[0]["extensions"]["code"] == "NOT_FOUND"
    assert await snapshot(services, tenant_a) == before


async def test_filter_by_another_tenants_owner_fails_like_a_missing_member(
    runner, tenant_a, tenant_b
):
    await create(runner, tenant_a, name="Initech")
    intruder = tenant_b.principal(Role.OWNER)
    foreign = encode_id("Member", tenant_a.users[Role.SALES])
    missing = encode_id("Member", uuid.uuid4())
    as_foreign = await runner(intruder, LIST, {"filter": {"owner": foreign}})
    as_missing = await runner(intruder, LIST, {"filter": {"owner": missing}})
    assert errors(as_foreign) == errors(as_missing)
    assert errors(as_missing)[0]["extensions"] == {"code": "NOT_FOUND", "field": "owner"}


async def test_company_list_never_shows_another_tenants_companies(runner, tenant_a, tenant_b):
    await create(runner, tenant_a, name="Initech")
    result = await runner(tenant_b.principal(Role.OWNER), LIST, {})
    assert result.data["companies"]["nodes"] == []
    assert result.data["companies"]["totalCount"] == 0


async def test_companies_page_forward_with_after_cursors(runner, tenant_a):
    for name in ("C1", "C2", "C3", "C4", "C5"):
        await create(runner, tenant_a, name=name)
    sales = tenant_a.principal(Role.SALES)
    pages, after = [], None
    for _ in range(3):
        result = await runner(sales, LIST, {"first": 2, "after": after})
        assert result.errors is None, result.errors
        page = result.data["companies"]
        pages.append(([n["name"] for n in page["nodes"]], page["pageInfo"]["hasNextPage"]))
        after = page["pageInfo"]["endCursor"]
    assert pages == [(["C1", "C2"], True), (["C3", "C4"], True), (["C5"], False)]


async def test_companies_page_backward_with_before_cursors(runner, tenant_a):
    for name in ("C1", "C2", "C3", "C4", "C5"):
        await create(runner, tenant_a, name=name)
    sales = tenant_a.principal(Role.SALES)
    pages, before = [], None
    for _ in range(3):
        result = await runner(sales, LIST, {"last": 2, "before": before})
        assert result.errors is None, result.errors
        page = result.data["companies"]
        pages.append(([n["name"] for n in page["nodes"]], page["pageInfo"]["hasPreviousPage"]))
        before = page["pageInfo"]["startCursor"]
    assert pages == [(["C4", "C5"], True), (["C2", "C3"], True), (["C1"], False)]


async def test_company_page_larger_than_the_cap_is_refused(runner, services, tenant_a):
    cap = services.settings.limits.max_page_size
    result = await runner(tenant_a.principal(Role.SALES), LIST, {"first": cap + 1})
    assert errors(result) == [
        {
            "message": f"Page size is capped at {cap}.",
            "path": ["companies"],
            "extensions": {"code": "BAD_USER_INPUT", "field": "first"},
        }
    ]
