"""The application's wall (models/tenant_guard.py), on SQLite and on PostgreSQL.

Every ORM statement that reaches a tenant table is confined to the session's tenant;
without one it is refused before it reaches the database; textual SQL and tenant
tables reached other than through ORM entities are refused; rows claiming another
tenant are refused at flush. On PostgreSQL the same statements also run under
row-level security, so a refusal here is the first of two walls.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import delete, exists, func, insert, literal, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import aliased

from auth.permissions import Role
from core.context import RequestContext
from core.services import Services
from models import Activity, Company, ConsentEvent, ConsentState, Contact, Deal, Tenant
from models.tenant_guard import TenantScopeError
from resolvers.loaders import ChildrenLoader
from resolvers.pagination import PageArgs, fetch_page
from resolvers.rows import ActivityRow, ContactRow, DealRow
from tests.isolation.conftest import Seeded
from tests.support.world import TenantWorld

pytestmark = pytest.mark.usefixtures("seeded_a", "seeded_b")


async def contact_rows(services: Services, tenant_id: uuid.UUID) -> list[tuple[Any, ...]]:
    """Every column of the tenant's contacts, read in a session scoped to it."""
    async with services.db.session(tenant_id) as session:
        result = await session.execute(select(Contact).order_by(Contact.id))
        return [tuple(sorted(c.model_dump().items())) for c in result.scalars()]


async def all_contact_ids(services: Services, *worlds: TenantWorld) -> set[uuid.UUID]:
    ids: set[uuid.UUID] = set()
    for world in worlds:
        async with services.db.session(world.tenant_id) as session:
            ids |= set((await session.execute(select(Contact.id))).scalars())
    return ids


# --- no tenant: nothing reaches a tenant table ---------------------------------------

NO_TENANT_READS = {
    "select entity": lambda s: select(Contact),
    "select columns": lambda s: select(Contact.id, Contact.first_name),
    "count": lambda s: select(func.count(Contact.id)),
    "count with select_from": lambda s: select(func.count()).select_from(Contact),
    "join of two tenant entities": lambda s: select(Company.name).join(
        Contact, Contact.company_id == Company.id
    ),
    "ORM alias": lambda s: select(aliased(Contact).id),
    "consent state": lambda s: select(ConsentState),
    "deal by id": lambda s: select(Deal).where(Deal.id == s.deal_id),
}


@pytest.mark.parametrize("make", NO_TENANT_READS.values(), ids=NO_TENANT_READS.keys())
async def test_session_without_tenant_refuses_orm_selects(
    services: Services, seeded_a: Seeded, make: Any
) -> None:
    async with services.db.session(None) as session:
        with pytest.raises(TenantScopeError):
            await session.execute(make(seeded_a))


async def test_session_without_tenant_refuses_get_by_primary_key(
    services: Services, seeded_a: Seeded
) -> None:
    async with services.db.session(None) as session:
        with pytest.raises(TenantScopeError, match="no current tenant"):
            await session.get(Contact, seeded_a.contact_id)


async def test_session_without_tenant_refuses_update_and_changes_nothing(
    services: Services, seeded_a: Seeded, tenant_a: TenantWorld
) -> None:
    before = await contact_rows(services, tenant_a.tenant_id)
    async with services.db.session(None) as session:
        with pytest.raises(TenantScopeError, match="no current tenant"):
            await session.execute(update(Contact).values(first_name="Mallory"))
        await session.commit()
    assert await contact_rows(services, tenant_a.tenant_id) == before


async def test_session_without_tenant_refuses_delete_and_changes_nothing(
    services: Services, seeded_a: Seeded, tenant_a: TenantWorld
) -> None:
    before = await contact_rows(services, tenant_a.tenant_id)
    async with services.db.session(None) as session:
        with pytest.raises(TenantScopeError, match="no current tenant"):
            await session.execute(delete(ConsentEvent))
        with pytest.raises(TenantScopeError, match="no current tenant"):
            await session.execute(delete(Contact).where(Contact.id == seeded_a.contact_id))
        await session.commit()
    assert await contact_rows(services, tenant_a.tenant_id) == before


async def test_session_without_tenant_refuses_insert_statement(
    services: Services, tenant_a: TenantWorld
) -> None:
    before = await all_contact_ids(services, tenant_a)
    async with services.db.session(None) as session:
        with pytest.raises(TenantScopeError, match="no current tenant"):
            await session.execute(
                insert(Contact).values(id=uuid.uuid4(), tenant_id=tenant_a.tenant_id)
            )
        await session.commit()
    assert await all_contact_ids(services, tenant_a) == before


async def test_session_without_tenant_refuses_adding_an_object(
    services: Services, tenant_a: TenantWorld
) -> None:
    before = await all_contact_ids(services, tenant_a)
    async with services.db.session(None) as session:
        session.add(Contact(tenant_id=tenant_a.tenant_id, first_name="Mallory"))
        with pytest.raises(TenantScopeError, match="no current tenant"):
            await session.flush()
        await session.rollback()
    assert await all_contact_ids(services, tenant_a) == before


# --- SQL that bypasses the ORM's criteria --------------------------------------------


@pytest.mark.parametrize(
    "sql",
    ["SELECT count(*) FROM contact", "SELECT 1", "UPDATE contact SET first_name = 'Mallory'"],
)
async def test_textual_sql_is_refused_on_tenant_sessions(
    services: Services, tenant_b: TenantWorld, tenant_a: TenantWorld, sql: str
) -> None:
    before = await contact_rows(services, tenant_a.tenant_id)
    async with services.db.session(tenant_b.tenant_id) as session:
        with pytest.raises(TenantScopeError, match="textual SQL is refused"):
            await session.execute(text(sql))
        await session.commit()
    assert await contact_rows(services, tenant_a.tenant_id) == before


RAW_TABLE_READS = {
    "select over a raw subquery": lambda: select(
        select(Contact.__table__.c.id, Contact.__table__.c.first_name).subquery().c.first_name
    ),
    "count over a raw subquery": lambda: select(func.count()).select_from(
        select(Contact.__table__.c.id).subquery()
    ),
    "core table": lambda: select(Contact.__table__),
    "core table columns": lambda: select(Contact.__table__.c.first_name),
    "global entity with a tenant-table EXISTS": lambda: select(Tenant.name).where(
        exists().where(Contact.tenant_id == Tenant.id)
    ),
    "global entity with an ORM tenant subquery": lambda: select(Tenant.name).where(
        Tenant.id.in_(select(Contact.tenant_id).where(Contact.first_name == "Acme1"))
    ),
}


@pytest.mark.parametrize("make", RAW_TABLE_READS.values(), ids=RAW_TABLE_READS.keys())
async def test_tenant_tables_reached_without_an_orm_entity_are_refused(
    services: Services, tenant_b: TenantWorld, make: Any
) -> None:
    async with services.db.session(tenant_b.tenant_id) as session:
        with pytest.raises(TenantScopeError, match="through ORM entities only"):
            await session.execute(make())


# --- a tenant session sees and writes only its own tenant ------------------------------


async def test_tenant_session_selects_only_its_own_rows(
    services: Services, seeded_a: Seeded, seeded_b: Seeded, tenant_b: TenantWorld
) -> None:
    async with services.db.session(tenant_b.tenant_id) as session:
        contacts = set((await session.execute(select(Contact.id))).scalars())
        by_a_id = (
            await session.execute(select(Contact).where(Contact.id == seeded_a.contact_id))
        ).all()
        got = await session.get(Company, seeded_a.company_id)
        joined = (
            await session.execute(
                select(Company.id).join(Contact, Contact.company_id == Company.id)
            )
        ).all()
    assert contacts == set(seeded_b.contact_ids)
    assert by_a_id == []
    assert got is None
    assert joined == [(seeded_b.company_id,)]


async def test_tenant_session_updates_and_deletes_only_its_own_rows(
    services: Services, seeded_a: Seeded, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    before = await contact_rows(services, tenant_a.tenant_id)
    async with services.db.session(tenant_b.tenant_id) as session:
        updated = await session.execute(
            update(Contact).where(Contact.id == seeded_a.contact_id).values(first_name="Mallory")
        )
        deleted = await session.execute(delete(Activity).where(Activity.id == seeded_a.activity_id))
        await session.commit()
    assert (updated.rowcount, deleted.rowcount) == (0, 0)
    assert await contact_rows(services, tenant_a.tenant_id) == before


async def test_object_stamped_with_another_tenant_is_refused_at_flush(
    services: Services, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    before = await all_contact_ids(services, tenant_a, tenant_b)
    async with services.db.session(tenant_b.tenant_id) as session:
        session.add(Contact(tenant_id=tenant_a.tenant_id, first_name="Planted"))
        with pytest.raises(TenantScopeError, match="another tenant"):
            await session.flush()
        await session.rollback()
    assert await all_contact_ids(services, tenant_a, tenant_b) == before


async def test_loaded_row_moved_to_another_tenant_is_refused_at_flush(
    services: Services, seeded_b: Seeded, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    async with services.db.session(tenant_b.tenant_id) as session:
        contact = await session.get(Contact, seeded_b.contact_ids[1])
        assert contact is not None
        contact.tenant_id = tenant_a.tenant_id
        with pytest.raises(TenantScopeError, match="another tenant"):
            await session.flush()
        await session.rollback()
    assert set(seeded_b.contact_ids) <= await all_contact_ids(services, tenant_b)


async def test_insert_statement_for_another_tenant_is_refused(
    services: Services, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    before = await all_contact_ids(services, tenant_a, tenant_b)
    rows = [{"id": uuid.uuid4(), "tenant_id": tenant_a.tenant_id, "first_name": "Planted"}]
    async with services.db.session(tenant_b.tenant_id) as session:
        with pytest.raises(TenantScopeError, match="another tenant"):
            await session.execute(insert(Contact), rows)
        with pytest.raises(TenantScopeError, match="another tenant"):
            await session.execute(insert(Contact).values(rows + rows[:0]))
        await session.rollback()
    assert await all_contact_ids(services, tenant_a, tenant_b) == before


async def _refused(session: Any, statement: Any) -> bool:
    """True when the guard (TenantScopeError) or row-level security (a DB error) refuses."""
    try:
        await session.execute(statement)
        await session.flush()
    except (TenantScopeError, DBAPIError):
        await session.rollback()
        return True
    await session.commit()
    return False


async def test_single_row_insert_values_for_another_tenant_is_refused(
    services: Services, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    before = await all_contact_ids(services, tenant_a, tenant_b)
    planted = insert(Contact).values(
        id=uuid.uuid4(), tenant_id=tenant_a.tenant_id, first_name="Planted"
    )
    async with services.db.session(tenant_b.tenant_id) as session:
        refused = await _refused(session, planted)
    assert (refused, await all_contact_ids(services, tenant_a, tenant_b)) == (True, before)


async def test_insert_from_select_for_another_tenant_is_refused(
    services: Services, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    before = await all_contact_ids(services, tenant_a, tenant_b)
    planted = insert(Contact).from_select(
        ["id", "tenant_id", "first_name", "lifecycle_stage", "restricted"],
        select(
            literal(uuid.uuid4()),
            literal(tenant_a.tenant_id),
            literal("Planted"),
            literal("lead"),
            literal(False),
        ),
    )
    async with services.db.session(tenant_b.tenant_id) as session:
        refused = await _refused(session, planted)
    assert (refused, await all_contact_ids(services, tenant_a, tenant_b)) == (True, before)


async def test_bulk_update_moving_rows_to_another_tenant_is_refused(
    services: Services, seeded_b: Seeded, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    # The second contact has no company, deal or activity: no composite foreign key
    # stands in the way, only the walls.
    moved = seeded_b.contact_ids[1]
    async with services.db.session(tenant_b.tenant_id) as session:
        await session.execute(update(Contact).where(Contact.id == moved).values(owner_id=None))
        await session.commit()
        refused = await _refused(
            session,
            update(Contact).where(Contact.id == moved).values(tenant_id=tenant_a.tenant_id),
        )
    assert (refused, moved in await all_contact_ids(services, tenant_b)) == (True, True)


# --- statements the application builds ------------------------------------------------


async def test_pagination_count_statement_counts_only_the_current_tenant(
    services: Services, seeded_a: Seeded, seeded_b: Seeded, tenant_b: TenantWorld
) -> None:
    async with services.db.session(tenant_b.tenant_id) as session:
        rows, page = await fetch_page(
            session,
            select(*ContactRow.COLUMNS),
            sort_column=Contact.created_at,
            id_column=Contact.id,
            descending=True,
            args=PageArgs(first=1),
            max_page=100,
            sort_key="created_at",
        )
        total = (await session.execute(page.count_stmt)).scalar_one()
        filtered = (
            await session.execute(page.count_stmt.where(Contact.company_id == seeded_a.company_id))
        ).scalar_one()
    assert (total, filtered, page.has_next) == (2, 0, True)
    assert rows[0][ContactRow.NAMES.index("tenant_id")] == tenant_b.tenant_id


def _ctx(services: Services, world: TenantWorld, session: Any) -> RequestContext:
    return RequestContext(services=services, principal=world.principal(Role.OWNER), session=session)


@pytest.mark.parametrize(
    ("row_class", "model", "parent"),
    [
        (DealRow, Deal, "primary_contact_id"),
        (ActivityRow, Activity, "contact_id"),
        (ContactRow, Contact, "company_id"),
    ],
    ids=["deals of contacts", "activities of contacts", "contacts of companies"],
)
async def test_children_window_loader_sees_only_the_current_tenant(
    services: Services,
    seeded_a: Seeded,
    seeded_b: Seeded,
    tenant_b: TenantWorld,
    row_class: Any,
    model: Any,
    parent: str,
) -> None:
    parents = {
        "primary_contact_id": (seeded_a.contact_id, seeded_b.contact_id),
        "contact_id": (seeded_a.contact_id, seeded_b.contact_id),
        "company_id": (seeded_a.company_id, seeded_b.company_id),
    }[parent]
    async with services.db.session(tenant_b.tenant_id) as session:
        ctx = _ctx(services, tenant_b, session)
        ctx.cipher = await services.keyring.cipher(session, tenant_b.tenant_id)
        loader = ChildrenLoader(ctx, row_class, model, getattr(model, parent), 10)
        of_a, of_b = await loader.load_many(list(parents))
    assert of_a == []
    assert [row.tenant_id for row in of_b] == [tenant_b.tenant_id]
