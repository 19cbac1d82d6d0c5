"""Deals: queries, mutations, validation, roles, tenant isolation and pagination."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from auth.permissions import Role
from models import Activity, Deal
from models.base import utcnow
from privacy.retention.purge import purge
from resolvers.global_ids import encode_id
from tests.support.results import codes, errors, row_count, row_snapshot

FIELDS = "id title amount currency stage expectedCloseDate closedAt"
CREATE = f"""
mutation($input: CreateDealInput!) {{ createDeal(input: $input) {{ deal {{ {FIELDS} }} }} }}
"""
UPDATE = f"""
mutation($id: ID!, $input: UpdateDealInput!) {{
  updateDeal(id: $id, input: $input) {{ deal {{ {FIELDS} }} }}
}}
"""
DELETE = "mutation($id: ID!) { deleteDeal(id: $id) { deletedId } }"
READ = "query($id: ID!) { deal(id: $id) { id title amount company { name } } }"
LIST = """
query($filter: DealFilter, $orderBy: DealOrderField! = CREATED_AT, $descending: Boolean! = false,
      $first: Int, $after: String, $last: Int, $before: String) {
  deals(filter: $filter, orderBy: $orderBy, descending: $descending, first: $first,
        after: $after, last: $last, before: $before) {
    totalCount
    nodes { title }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


async def count(services: Any, world: Any, model: Any = Deal) -> int:
    return await row_count(services, world, model)


async def snapshot(services: Any, world: Any) -> list[tuple[Any, ...]]:
    return await row_snapshot(services, world, Deal)


async def create(runner: Any, world: Any, **fields: Any) -> dict[str, Any]:
    result = await runner(world.principal(Role.SALES), CREATE, {"input": fields})
    assert result.errors is None, result.errors
    return result.data["createDeal"]["deal"]


async def create_company(runner: Any, world: Any, name: str = "Initech") -> str:
    result = await runner(
        world.principal(Role.SALES),
        "mutation($n: String!) { createCompany(input: {name: $n}) { company { id } } }",
        {"n": name},
    )
    return result.data["createCompany"]["company"]["id"]


async def create_contact(runner: Any, world: Any) -> str:
    result = await runner(
        world.principal(Role.SALES),
        'mutation { createContact(input: {firstName: "Peter"}) { contact { id } } }',
    )
    return result.data["createContact"]["contact"]["id"]


def missing_id(type_name: str = "Deal") -> str:
    return encode_id(type_name, uuid.uuid4())


async def list_titles(runner: Any, world: Any, **variables: Any) -> list[str]:
    result = await runner(world.principal(Role.SALES), LIST, variables)
    assert result.errors is None, result.errors
    return [n["title"] for n in result.data["deals"]["nodes"]]


async def test_created_deal_has_defaults_and_an_exact_amount(runner, tenant_a):
    created = await create(runner, tenant_a, title="TPS reports", amount="1250.5")
    assert {k: v for k, v in created.items() if k != "id"} == {
        "title": "TPS reports",
        "amount": "1250.50",
        "currency": "EUR",
        "stage": "prospecting",
        "expectedCloseDate": None,
        "closedAt": None,
    }


async def test_deal_is_read_back_by_id_with_its_company(runner, tenant_a):
    company = await create_company(runner, tenant_a)
    created = await create(runner, tenant_a, title="TPS", amount="10", company=company)
    read = await runner(tenant_a.principal(Role.READ_ONLY), READ, {"id": created["id"]})
    assert read.errors is None, read.errors
    assert read.data["deal"] == {
        "id": created["id"],
        "title": "TPS",
        "amount": "10.00",
        "company": {"name": "Initech"},
    }


async def test_deal_links_its_primary_contact(runner, tenant_a):
    contact = await create_contact(runner, tenant_a)
    created = await create(runner, tenant_a, title="TPS", primaryContact=contact)
    read = await runner(
        tenant_a.principal(Role.SALES),
        "query($id: ID!) { deal(id: $id) { primaryContact { id } } }",
        {"id": created["id"]},
    )
    assert read.data["deal"]["primaryContact"] == {"id": contact}


async def test_won_stage_sets_closed_at(runner, tenant_a):
    created = await create(runner, tenant_a, title="TPS")
    result = await runner(
        tenant_a.principal(Role.SALES), UPDATE, {"id": created["id"], "input": {"stage": "won"}}
    )
    assert result.errors is None, result.errors
    deal = result.data["updateDeal"]["deal"]
    assert deal["stage"] == "won"
    assert deal["closedAt"] is not None


async def test_created_lost_deal_is_closed(runner, tenant_a):
    created = await create(runner, tenant_a, title="TPS", stage="lost")
    assert created["closedAt"] is not None


async def test_reopening_a_won_deal_clears_closed_at(runner, tenant_a):
    created = await create(runner, tenant_a, title="TPS", stage="won")
    result = await runner(
        tenant_a.principal(Role.SALES),
        UPDATE,
        {"id": created["id"], "input": {"stage": "negotiation"}},
    )
    assert result.data["updateDeal"]["deal"]["closedAt"] is None


async def test_update_changes_only_the_fields_sent(runner, tenant_a):
    created = await create(runner, tenant_a, title="TPS", amount="5", currency="USD")
    result = await runner(
        tenant_a.principal(Role.SALES),
        UPDATE,
        {"id": created["id"], "input": {"expectedCloseDate": "2031-03-01", "currency": "gbp"}},
    )
    assert result.errors is None, result.errors
    assert result.data["updateDeal"]["deal"] == {
        **created,
        "currency": "GBP",
        "expectedCloseDate": "2031-03-01",
    }


async def test_deleted_deal_is_gone_and_the_purge_unlinks_its_activities(
    runner, services, tenant_a
):
    created = await create(runner, tenant_a, title="TPS")
    sales = tenant_a.principal(Role.SALES)
    activity = await runner(
        sales,
        'mutation($d: ID) { createActivity(input: {kind: CALL, subject: "x", deal: $d}) '
        "{ activity { id } } }",
        {"d": created["id"]},
    )
    assert activity.errors is None, activity.errors
    deleted = await runner(sales, DELETE, {"id": created["id"]})
    assert deleted.data == {"deleteDeal": {"deletedId": created["id"]}}
    assert await count(services, tenant_a) == 0
    await purge(services, dry_run=False, trigger="cli", now=utcnow() + timedelta(days=31))
    async with services.db.session(tenant_a.tenant_id) as session:
        links = (await session.execute(select(Activity.deal_id))).scalars().all()
    assert links == [None]


async def test_deal_without_title_is_refused_and_nothing_is_written(runner, services, tenant_a):
    result = await runner(tenant_a.principal(Role.SALES), CREATE, {"input": {"amount": "1"}})
    assert codes(result) == [{"code": "BAD_USER_INPUT"}]  # CreateDealInput.title: String!
    assert await count(services, tenant_a) == 0


async def test_negative_amount_is_refused_and_nothing_is_written(runner, services, tenant_a):
    result = await runner(
        tenant_a.principal(Role.SALES), CREATE, {"input": {"title": "T", "amount": "-0.01"}}
    )
    assert codes(result) == [{"code": "BAD_USER_INPUT", "field": "amount"}]
    assert await count(services, tenant_a) == 0


async def test_amount_with_fractions_of_a_cent_is_refused(runner, services, tenant_a):
    result = await runner(
        tenant_a.principal(Role.SALES), CREATE, {"input": {"title": "T", "amount": "1.005"}}
    )
    assert codes(result) == [{"code": "BAD_USER_INPUT", "field": "amount"}]
    assert await count(services, tenant_a) == 0


async def test_null_amount_is_refused(runner, services, tenant_a):
    result = await runner(
        tenant_a.principal(Role.SALES), CREATE, {"input": {"title": "T", "amount": None}}
    )
    assert codes(result) == [{"code": "BAD_USER_INPUT", "field": "amount"}]
    assert await count(services, tenant_a) == 0


async def test_currency_that_is_not_iso_4217_is_refused(runner, services, tenant_a):
    for bad in ("EURO", "XYZ", "€"):
        result = await runner(
            tenant_a.principal(Role.SALES), CREATE, {"input": {"title": "T", "currency": bad}}
        )
        assert codes(result) == [{"code": "BAD_USER_INPUT", "field": "currency"}], bad
    assert await count(services, tenant_a) == 0


async def test_unknown_stage_is_refused_and_nothing_is_written(runner, services, tenant_a):
    result = await runner(
        tenant_a.principal(Role.SALES), CREATE, {"input": {"title": "T", "stage": "closed"}}
    )
    assert codes(result) == [{"code": "BAD_USER_INPUT", "field": "stage"}]
    assert await count(services, tenant_a) == 0


async def test_implausible_expected_close_date_is_refused(runner, services, tenant_a):
    result = await runner(
        tenant_a.principal(Role.SALES),
        CREATE,
        {"input": {"title": "T", "expectedCloseDate": "1850-01-01"}},
    )
    assert codes(result) == [{"code": "BAD_USER_INPUT", "field": "expectedCloseDate"}]
    assert await count(services, tenant_a) == 0


async def test_invalid_update_leaves_the_deal_unchanged(runner, services, tenant_a):
    created = await create(runner, tenant_a, title="TPS", amount="5")
    before = await snapshot(services, tenant_a)
    result = await runner(
        tenant_a.principal(Role.SALES),
        UPDATE,
        {"id": created["id"], "input": {"title": "Renamed", "currency": "XYZ"}},
    )
    assert codes(result) == [{"code": "BAD_USER_INPUT", "field": "currency"}]
    assert await snapshot(services, tenant_a) == before


async def test_company_of_another_tenant_is_refused_like_a_missing_one(
    runner, services, tenant_a, tenant_b
):
    foreign = await create_company(runner, tenant_b)
    sales = tenant_a.principal(Role.SALES)
    as_foreign = await runner(sales, CREATE, {"input": {"title": "T", "company": foreign}})
    as_missing = await runner(
        sales, CREATE, {"input": {"title": "T", "company": missing_id("Company")}}
    )
    assert errors(as_foreign) == errors(as_missing)
    assert codes(as_missing) == [{"code": "NOT_FOUND", "field": "company"}]
    assert await count(services, tenant_a) == 0


async def test_primary_contact_of_another_tenant_is_refused_like_a_missing_one(
    runner, services, tenant_a, tenant_b
):
    foreign = await create_contact(runner, tenant_b)
    sales = tenant_a.principal(Role.SALES)
    as_foreign = await runner(sales, CREATE, {"input": {"title": "T", "primaryContact": foreign}})
    as_missing = await runner(
        sales, CREATE, {"input": {"title": "T", "primaryContact": missing_id("Contact")}}
    )
    assert errors(as_foreign) == errors(as_missing)
    assert codes(as_missing) == [{"code": "NOT_FOUND", "field": "primaryContact"}]
    assert await count(services, tenant_a) == 0


async def test_marketing_cannot_list_deals(runner, tenant_a):
    await create(runner, tenant_a, title="TPS")
    result = await runner(tenant_a.principal(Role.MARKETING), LIST, {})
    assert result.data is None
    assert [e["extensions"]["code"] for e in errors(result)] == ["FORBIDDEN"]


async def test_marketing_cannot_read_a_deal_by_id(runner, tenant_a):
    created = await create(runner, tenant_a, title="TPS")
    result = await runner(tenant_a.principal(Role.MARKETING), READ, {"id": created["id"]})
    assert result.data is None
    assert [e["extensions"]["code"] for e in errors(result)] == ["FORBIDDEN"]


async def test_read_only_cannot_create_a_deal(runner, services, tenant_a):
    result = await runner(tenant_a.principal(Role.READ_ONLY), CREATE, {"input": {"title": "T"}})
    assert [e["extensions"]["code"] for e in errors(result)] == ["FORBIDDEN"]
    assert await count(services, tenant_a) == 0


async def test_read_only_cannot_update_a_deal(runner, services, tenant_a):
    created = await create(runner, tenant_a, title="TPS")
    before = await snapshot(services, tenant_a)
    result = await runner(
        tenant_a.principal(Role.READ_ONLY), UPDATE, {"id": created["id"], "input": {"title": "X"}}
    )
    assert [e["extensions"]["code"] for e in errors(result)] == ["FORBIDDEN"]
    assert await snapshot(services, tenant_a) == before


async def test_read_only_cannot_delete_a_deal(runner, services, tenant_a):
    created = await create(runner, tenant_a, title="TPS")
    result = await runner(tenant_a.principal(Role.READ_ONLY), DELETE, {"id": created["id"]})
    assert [e["extensions"]["code"] for e in errors(result)] == ["FORBIDDEN"]
    assert await count(services, tenant_a) == 1


async def test_another_tenants_deal_reads_like_a_missing_one(runner, tenant_a, tenant_b):
    created = await create(runner, tenant_a, title="TPS")
    intruder = tenant_b.principal(Role.OWNER)
    foreign = await runner(intruder, READ, {"id": created["id"]})
    missing = await runner(intruder, READ, {"id": missing_id()})
    assert foreign.data is None and missing.data is None
    assert errors(foreign) == errors(missing)
    assert codes(missing) == [{"code": "NOT_FOUND", "field": "id"}]


async def test_another_tenants_deal_updates_like_a_missing_one(
    runner, services, tenant_a, tenant_b
):
    created = await create(runner, tenant_a, title="TPS")
    before = await snapshot(services, tenant_a)
    intruder = tenant_b.principal(Role.OWNER)
    change = {"input": {"stage": "lost"}}
    foreign = await runner(intruder, UPDATE, {"id": created["id"], **change})
    missing = await runner(intruder, UPDATE, {"id": missing_id(), **change})
    assert errors(foreign) == errors(missing)
    assert codes(missing) == [{"code": "NOT_FOUND", "field": "id"}]
    assert await snapshot(services, tenant_a) == before


async def test_another_tenants_deal_deletes_like_a_missing_one(
    runner, services, tenant_a, tenant_b
):
    created = await create(runner, tenant_a, title="TPS")
    before = await snapshot(services, tenant_a)
    intruder = tenant_b.principal(Role.OWNER)
    foreign = await runner(intruder, DELETE, {"id": created["id"]})
    missing = await runner(intruder, DELETE, {"id": missing_id()})
    assert errors(foreign) == errors(missing)
    assert codes(missing) == [{"code": "NOT_FOUND", "field": "id"}]
    assert await snapshot(services, tenant_a) == before


async def test_filter_by_another_tenants_company_fails_like_a_missing_one(
    runner, tenant_a, tenant_b
):
    company = await create_company(runner, tenant_a)
    await create(runner, tenant_a, title="TPS", company=company)
    intruder = tenant_b.principal(Role.OWNER)
    foreign = await runner(intruder, LIST, {"filter": {"company": company}})
    missing = await runner(intruder, LIST, {"filter": {"company": missing_id("Company")}})
    assert errors(foreign) == errors(missing)
    assert codes(missing) == [{"code": "NOT_FOUND", "field": "company"}]


async def test_deals_filter_by_company(runner, tenant_a):
    company = await create_company(runner, tenant_a)
    await create(runner, tenant_a, title="Linked", company=company)
    await create(runner, tenant_a, title="Other")
    assert await list_titles(runner, tenant_a, filter={"company": company}) == ["Linked"]


async def test_deals_filter_by_amount_range_compares_numbers(runner, tenant_a):
    for title, amount in (("nine", "9"), ("ten", "10"), ("hundred", "100"), ("big", "1000.01")):
        await create(runner, tenant_a, title=title, amount=amount)
    titles = await list_titles(
        runner, tenant_a, filter={"minAmount": "9.50", "maxAmount": "1000"}, orderBy="AMOUNT"
    )
    assert titles == ["ten", "hundred"]


async def test_deals_filter_by_stage_and_currency(runner, tenant_a):
    await create(runner, tenant_a, title="a", stage="won", currency="USD")
    await create(runner, tenant_a, title="b", stage="won", currency="EUR")
    await create(runner, tenant_a, title="c", stage="lost", currency="USD")
    titles = await list_titles(runner, tenant_a, filter={"stage": "won", "currency": "usd"})
    assert titles == ["a"]


async def test_deals_filter_by_expected_close_window(runner, tenant_a):
    for title, day in (("jan", "2030-01-15"), ("feb", "2030-02-01"), ("none", None)):
        await create(runner, tenant_a, title=title, expectedCloseDate=day)
    window = {"expectedCloseAfter": "2030-01-15", "expectedCloseBefore": "2030-02-01"}
    assert await list_titles(runner, tenant_a, filter=window) == ["jan"]


async def test_deals_order_by_amount_numerically(runner, tenant_a):
    for title, amount in (("hundred", "100"), ("nine", "9"), ("ten", "10"), ("zero", "0")):
        await create(runner, tenant_a, title=title, amount=amount)
    assert await list_titles(runner, tenant_a, orderBy="AMOUNT") == [
        "zero", "nine", "ten", "hundred",
    ]  # fmt: skip


async def test_deals_page_forward_by_amount_with_after_cursors(runner, tenant_a):
    for title, amount in (("e", "1000"), ("a", "1"), ("c", "20"), ("b", "9.99"), ("d", "20")):
        await create(runner, tenant_a, title=title, amount=amount)
    sales = tenant_a.principal(Role.SALES)
    pages, after = [], None
    for _ in range(3):
        result = await runner(sales, LIST, {"orderBy": "AMOUNT", "first": 2, "after": after})
        assert result.errors is None, result.errors
        page = result.data["deals"]
        pages.append(([n["title"] for n in page["nodes"]], page["pageInfo"]["hasNextPage"]))
        after = page["pageInfo"]["endCursor"]
    # c and d tie on 20.00: the id breaks the tie, so both sit on the second page.
    assert [(sorted(titles), more) for titles, more in pages] == [
        (["a", "b"], True), (["c", "d"], True), (["e"], False),
    ]  # fmt: skip
    assert pages[0][0] == ["a", "b"]


async def test_deals_page_backward_by_expected_close_date_with_no_date_last(runner, tenant_a):
    days = (("d1", "2030-01-01"), ("none", None), ("d3", "2030-03-01"), ("d2", "2030-02-01"))
    for title, day in days:
        await create(runner, tenant_a, title=title, expectedCloseDate=day)
    sales = tenant_a.principal(Role.SALES)
    pages, before = [], None
    for _ in range(2):
        result = await runner(
            sales, LIST, {"orderBy": "EXPECTED_CLOSE_DATE", "last": 2, "before": before}
        )
        assert result.errors is None, result.errors
        page = result.data["deals"]
        pages.append(([n["title"] for n in page["nodes"]], page["pageInfo"]["hasPreviousPage"]))
        before = page["pageInfo"]["startCursor"]
    assert pages == [(["d3", "none"], True), (["d1", "d2"], False)]


async def test_deals_page_forward_across_a_null_expected_close_date(runner, tenant_a):
    for title, day in (("none1", None), ("d1", "2030-01-01"), ("none2", None)):
        await create(runner, tenant_a, title=title, expectedCloseDate=day)
    sales = tenant_a.principal(Role.SALES)
    seen, after = [], None
    for _ in range(3):
        result = await runner(
            sales, LIST, {"orderBy": "EXPECTED_CLOSE_DATE", "first": 1, "after": after}
        )
        seen += [n["title"] for n in result.data["deals"]["nodes"]]
        after = result.data["deals"]["pageInfo"]["endCursor"]
    assert seen[0] == "d1"
    assert sorted(seen[1:]) == ["none1", "none2"]


async def test_deal_page_larger_than_the_cap_is_refused(runner, services, tenant_a):
    cap = services.settings.limits.max_page_size
    result = await runner(tenant_a.principal(Role.SALES), LIST, {"last": cap + 1})
    assert errors(result) == [
        {
            "message": f"Page size is capped at {cap}.",
            "path": ["deals"],
            "extensions": {"code": "BAD_USER_INPUT", "field": "last"},
        }
    ]
