"""Tenant offboarding (policy sections 5 and 11; issue 10): `offboard` refuses under an
active legal hold; otherwise the tenant's rows and its data key are gone, no marker of
its people is left in the database (SQLite file and WAL, PostgreSQL tables) or in its
export packages, and the other tenants are untouched."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.errors import AppError
from core.services import Services
from models import Contact, LegalHold
from models.tenancy import Tenant, TenantKey
from privacy.crypto import KeyUnavailableError
from privacy.offboarding import offboard
from privacy.sweep import new_marker, search
from tests.erasure.conftest import plant_export, seed
from tests.support.world import TenantWorld, make_tenant


async def tenant_row(services: Services, world: TenantWorld) -> Tenant:
    async with services.db.session(None) as session:
        return (
            await session.execute(select(Tenant).where(Tenant.id == world.tenant_id))
        ).scalar_one()


async def test_offboarding_under_a_hold_answers_legal_hold(
    services: Services, tenant_a: TenantWorld
) -> None:
    async with services.db.session(tenant_a.tenant_id) as session:
        session.add(LegalHold(tenant_id=tenant_a.tenant_id, reason="litigation"))
        await session.commit()
    with pytest.raises(AppError) as refused:
        await offboard(services, await tenant_row(services, tenant_a))
    assert refused.value.code.value == "LEGAL_HOLD"
    async with services.db.session(tenant_a.tenant_id) as session:
        assert (await session.execute(select(TenantKey))).first() is not None


async def test_after_offboarding_no_marker_of_the_tenant_remains(
    backend: Services, world: TenantWorld
) -> None:
    marker = new_marker()
    package = await plant_export(backend, world, await seed(backend, world, marker), marker)
    await offboard(backend, await tenant_row(backend, world))
    assert not package.exists() and await search(backend, marker) == []


async def test_after_offboarding_the_tenants_key_is_destroyed(
    backend: Services, world: TenantWorld
) -> None:
    await offboard(backend, await tenant_row(backend, world))
    async with backend.db.session(world.tenant_id) as session:
        assert (await session.execute(select(TenantKey))).first() is None
        with pytest.raises(KeyUnavailableError):
            await backend.keyring.cipher(session, world.tenant_id)


async def test_offboarding_leaves_other_tenants_untouched(
    services: Services, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    marker = new_marker()
    await seed(services, tenant_b, marker)
    await offboard(services, await tenant_row(services, tenant_a))
    places = {hit.place for hit in await search(services, marker)}
    assert "table contact" in places
    async with services.db.session(tenant_b.tenant_id) as session:
        assert len((await session.execute(select(Contact))).scalars().all()) == 1


async def test_an_offboarded_tenants_slug_is_free_again(
    services: Services, tenant_a: TenantWorld
) -> None:
    tenant = await tenant_row(services, tenant_a)
    await offboard(services, tenant)
    again = await make_tenant(services, tenant.name)
    assert (await tenant_row(services, again)).slug == tenant.slug
