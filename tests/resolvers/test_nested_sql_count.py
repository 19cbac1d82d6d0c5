"""Nested relations cost one SQL statement per level, whatever the page size.

The statements are counted at the engine (`before_cursor_execute`), so everything the
request runs is seen: loaders, subject states, the cipher, the audit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from auth.permissions import Role
from models import Activity, Company, Contact, Deal

NESTED = """
query($n: Int!) {
  contacts(first: $n) {
    nodes { id company { name deals(first: 5) { title activities(first: 3) { subject } } } }
  }
}
"""


async def seed(services: Any, world: Any, people: int) -> None:
    """`people` contacts, each at their own company with 6 deals of 4 activities each
    (more than the nested `first` arguments take), every activity about the contact."""
    async with services.db.session(world.tenant_id) as session:
        cipher = await services.keyring.cipher(session, world.tenant_id)
    companies = [Company(name=f"Company {i}") for i in range(people)]
    contacts = [Contact(first_name=f"Person {i}", company_id=c.id) for i, c in enumerate(companies)]
    deals = [
        Deal(title_enc=cipher.encrypt(f"Deal {i}.{d}"), company_id=c.id)
        for i, c in enumerate(companies)
        for d in range(6)
    ]
    by_company = {c.company_id: c.id for c in contacts}
    activities = [
        Activity(
            kind="note",
            subject_enc=cipher.encrypt(f"{cipher.decrypt(deal.title_enc)}.{a}"),
            contact_id=by_company[deal.company_id],
            company_id=deal.company_id,
            deal_id=deal.id,
        )  # fmt: skip
        for deal in deals
        for a in range(4)
    ]
    async with services.db.session(world.tenant_id) as session:
        for level in (companies, contacts, deals, activities):  # parents first (no ORM relations)
            session.add_all(level)
            await session.flush()
        await session.commit()


@contextmanager
def statements(services: Any) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engine = services.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def run_counted(runner: Any, services: Any, world: Any, n: int) -> tuple[Any, list[str]]:
    principal = world.principal(Role.SALES)
    await runner(principal, "{ contacts(first: 1) { nodes { id } } }")  # warm the key cache
    with statements(services) as seen:
        result = await runner(principal, NESTED, {"n": n})
    assert result.errors is None, result.errors
    # Reads only: the request's usage record (policy 2.3) is one insert, not a level.
    return result, [s for s in seen if not s.lstrip().upper().startswith("INSERT")]


@pytest.fixture
async def seeded(services, tenant_a):
    await seed(services, tenant_a, 50)
    return tenant_a


async def test_nested_page_returns_every_level_trimmed_to_its_first(runner, services, seeded):
    result, _ = await run_counted(runner, services, seeded, 50)
    nodes = result.data["contacts"]["nodes"]
    assert len(nodes) == 50
    assert all(len(node["company"]["deals"]) == 5 for node in nodes)
    assert all(len(d["activities"]) == 3 for node in nodes for d in node["company"]["deals"])


async def test_statement_count_does_not_grow_with_page_size(runner, services, seeded):
    _, small = await run_counted(runner, services, seeded, 5)
    _, large = await run_counted(runner, services, seeded, 50)
    assert len(small) == len(large)


async def test_nested_page_costs_one_statement_per_level(runner, services, seeded):
    _, seen = await run_counted(runner, services, seeded, 50)
    # 1. the contacts page (keyset query, LIMIT n + 1), each row with its subject's
    #    consent standings from a correlated subquery (resolvers.loaders.contact_select)
    # 2. their companies (CompanyByIdLoader, one IN (...) for all company ids)
    # 3. the companies' deals, first 5 each (ChildrenLoader, ROW_NUMBER() per company)
    # 4. the deals' activities, first 3 each (ChildrenLoader, ROW_NUMBER() per deal),
    #    each with the state of the contact it is about (activity_select's outer join)
    # The tenant's data key is cached by the keyring after the warm-up request, and
    # nothing personal is read, so there is no audit insert.
    assert len(seen) == 4, "\n\n".join(seen)
