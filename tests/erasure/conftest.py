"""Shared steps for the erasure tests: run an operation as a role, create a contact, log
and verify a privacy request, place a hold; and a tenant on either database (`backend`:
SQLite, and PostgreSQL as its owner migrated it) with a canary seeded in it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from auth.permissions import Role
from core.services import Services
from core.settings import Settings
from models.exports import PrivacyExport
from privacy.export.storage import write_package
from privacy.sweep import seed_canary
from tests.support.postgres import PostgresDatabase
from tests.support.world import Runner, TenantWorld, make_tenant

CREATE = "mutation($input: CreateContactInput!) { createContact(input: $input) { contact { id } } }"
COMPANY = 'mutation { createCompany(input: {name: "Initech"}) { company { id } } }'
PLACE = """
mutation($reason: String!, $contact: ID, $company: ID, $reference: String) {
  placeLegalHold(reason: $reason, contact: $contact, company: $company, reference: $reference) {
    hold { id scope contactId companyId reason reference placedBy active releasedAt }
  }
}
"""
ERASE = """
mutation($c: ID!) { eraseContact(contact: $c, reason: "asked") { contact { id erased } } }
"""
DELETE = "mutation($id: ID!) { deleteContact(id: $id) { deletedId } }"
LOG = """
mutation($c: ID!, $kind: PrivacyRequestKind!) {
  logPrivacyRequest(input: {contact: $c, kind: $kind, channel: EMAIL}) { request { id } }
}
"""
VERIFY = """
mutation($r: ID!) { verifyPrivacyRequest(request: $r, method: IDENTITY_DOCUMENT) {
  request { id } } }
"""
RECORDS = """
query($c: ID, $r: ID) { erasureRecords(contact: $c, request: $r) {
  id contactId requestId outcome categories recordedBy recordedAt
  exceptions { kind reason hold } } }
"""


def codes(result: Any) -> list[str]:
    return [(e.extensions or {}).get("code") for e in result.errors or []]


class Steps:
    def __init__(self, runner: Runner, world: TenantWorld) -> None:
        self.runner = runner
        self.world = world

    async def run(self, query: str, role: Role = Role.ADMIN, **variables: Any) -> Any:
        return await self.runner(self.world.principal(role), query, variables)

    async def ok(self, query: str, role: Role = Role.ADMIN, **variables: Any) -> dict[str, Any]:
        result = await self.run(query, role, **variables)
        assert result.errors is None, result.errors
        data: dict[str, Any] = result.data
        return data

    async def contact(self, **fields: Any) -> str:
        data = await self.ok(CREATE, input={"firstName": "Dana", **fields})
        return str(data["createContact"]["contact"]["id"])

    async def company(self) -> str:
        data = await self.ok(COMPANY)
        return str(data["createCompany"]["company"]["id"])

    async def hold(self, reason: str = "litigation 2026-17", **scope: Any) -> str:
        data = await self.ok(PLACE, reason=reason, **scope)
        return str(data["placeLegalHold"]["hold"]["id"])

    async def request(self, contact: str, kind: str = "ERASURE", verify: bool = True) -> str:
        data = await self.ok(LOG, c=contact, kind=kind)
        request = str(data["logPrivacyRequest"]["request"]["id"])
        if verify:
            await self.ok(VERIFY, r=request)
        return request


@pytest.fixture
def steps(runner: Runner, tenant_a: TenantWorld) -> Steps:
    return Steps(runner, tenant_a)


@pytest.fixture
async def pg_services(settings: Settings, pg_database: PostgresDatabase) -> AsyncIterator[Services]:
    from auth.accounts import bootstrap

    services = Services.from_settings(
        settings.model_copy(update={"database_url": pg_database.owner_url, "app_database_url": ""})
    )
    await bootstrap(services)
    yield services
    await services.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> Services:
    services: Services = request.getfixturevalue(
        "services" if request.param == "sqlite" else "pg_services"
    )
    return services


@pytest.fixture
async def world(backend: Services) -> TenantWorld:
    return await make_tenant(backend, "Canary Ltd")


async def seed(services: Services, world: TenantWorld, marker: str) -> uuid.UUID:
    """A canary contact (privacy/sweep.py) whose every text carries `marker`."""
    async with services.db.session(world.tenant_id) as session:
        cipher = await services.keyring.cipher(session, world.tenant_id)
        contact = await seed_canary(session, cipher, marker)
        await session.commit()
    return contact.id


async def plant_export(
    services: Services, world: TenantWorld, contact_id: uuid.UUID, marker: str
) -> Path:
    """A finished export package of the contact, its file holding `marker`."""
    path = write_package(services.settings.export_dir, f"package of {marker}".encode())
    async with services.db.session(world.tenant_id) as session:
        session.add(
            PrivacyExport(
                tenant_id=world.tenant_id,
                contact_id=contact_id,
                status="done",
                progress=100,
                file_path=str(path),
            )  # fmt: skip
        )
        await session.commit()
    return path
