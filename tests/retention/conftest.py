"""Retention and the trash (issue 11): a world to act in through the API, on SQLite and,
for the tests that ask for `store`, on the real PostgreSQL under the application's role
and row-level security too."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col

from core.services import Services
from core.settings import Settings
from models.base import utcnow
from privacy.retention.purge import PurgeReport, purge
from resolvers.global_ids import decode_id
from tests.erasure.conftest import Steps
from tests.support.postgres import PostgresDatabase, create_database
from tests.support.world import Runner, TenantWorld, make_tenant

DELETES = {
    "Contact": "mutation($id: ID!) { deleteContact(id: $id) { deletedId } }",
    "Company": "mutation($id: ID!) { deleteCompany(id: $id) { deletedId } }",
    "Deal": "mutation($id: ID!) { deleteDeal(id: $id) { deletedId } }",
    "Activity": "mutation($id: ID!) { deleteActivity(id: $id) { deletedId } }",
}
RESTORE = "mutation($id: ID!) { restore(id: $id) { restoredId } }"
TRASH = "{ trash { id type deletedAt deletedBy restorableUntil } }"
DEAL = "mutation($input: CreateDealInput!) { createDeal(input: $input) { deal { id } } }"
ACTIVITY = (
    "mutation($input: CreateActivityInput!) { createActivity(input: $input) { activity { id } } }"
)


class World(Steps):
    """Steps through the API, plus deals, activities, deletions and ageing rows."""

    def __init__(self, runner: Runner, world: TenantWorld, services: Services) -> None:
        super().__init__(runner, world)
        self.services = services

    async def deal(self, contact: str | None = None, company: str | None = None,
                   stage: str | None = None) -> str:  # fmt: skip
        fields = {"title": "Renewal", "amount": "1200.00", "stage": stage or "proposal"}
        links = {"primaryContact": contact, "company": company}
        data = await self.ok(DEAL, input=fields | {k: v for k, v in links.items() if v})
        return str(data["createDeal"]["deal"]["id"])

    async def activity(self, contact: str | None = None, company: str | None = None,
                       deal: str | None = None) -> str:  # fmt: skip
        fields = {"kind": "NOTE", "subject": "Call", "body": "About the renewal"}
        links = {"contact": contact, "company": company, "deal": deal}
        data = await self.ok(ACTIVITY, input=fields | {k: v for k, v in links.items() if v})
        return str(data["createActivity"]["activity"]["id"])

    async def delete(self, gid: str) -> None:
        await self.ok(DELETES[decode_id(gid)[0]], id=gid)

    async def age(self, gid: str, **columns: datetime) -> None:
        """Move a row's timestamps into the past, as if time had gone by."""
        from privacy.retention.trash import TRASHABLE

        type_name, row_id = decode_id(gid)
        model = TRASHABLE[type_name]
        async with self.services.db.session(self.world.tenant_id) as session:
            await session.execute(update(model).where(col(model.id) == row_id).values(**columns))
            await session.commit()

    async def purge(self, dry_run: bool = False, days: int = 0, **kwargs: Any) -> PurgeReport:
        now = utcnow() + timedelta(days=days)
        return await purge(self.services, dry_run=dry_run, trigger="cli", now=now, **kwargs)


def ago(days: int) -> datetime:
    return utcnow() - timedelta(days=days)


def counts(report: PurgeReport, tenant_id: uuid.UUID) -> dict[str, int]:
    """The tenant's non-zero counts by step."""
    tenant = next(t for t in report.tenants if t.tenant_id == tenant_id)
    return {label: n for label, n in tenant.counts.items() if n}


@pytest.fixture
def world(runner: Runner, services: Services, tenant_a: TenantWorld) -> World:
    return World(runner, tenant_a, services)


# --- the same, on SQLite and on PostgreSQL ---------------------------------------------


@pytest.fixture(scope="module")
def module_pg() -> Iterator[dict[str, Any]]:
    """One migrated PostgreSQL database for the module (tests/conftest.py makes one per
    test); tenants keep tests apart."""
    database = create_database()
    try:
        yield {"database": database}
    finally:
        database.drop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    if request.param == "sqlite":
        return settings
    shared: dict[str, Any] = request.getfixturevalue("module_pg")
    database: PostgresDatabase = shared["database"]
    keys = shared.setdefault("master_keys", settings.master_keys)
    return settings.model_copy(
        update={"database_url": database.owner_url, "app_database_url": "", "master_keys": keys}
    )


@pytest.fixture
async def store(store_settings: Settings) -> AsyncIterator[World]:
    """A fresh tenant on SQLite or on PostgreSQL (application role, RLS)."""
    from auth.accounts import bootstrap

    services = Services.from_settings(store_settings)
    await bootstrap(services)
    tenant = await make_tenant(services, f"Retention {uuid.uuid4().hex[:6]}")
    yield World(Runner(services), tenant, services)
    await services.close()
