"""Crypto-shredding (policy sections 8 and 9; issue 10): once a tenant's data key is
destroyed, nothing stored in an encrypted column can be read, even while the rows are
still there. A canary (privacy/sweep.py) carries `<marker> <column>` in every text
column of a contact, its deal and its activities; after the key is destroyed and before
any row is deleted, a raw scan of the database (the SQLite file and WAL, every
PostgreSQL table) finds none of the encrypted columns' markers, and the key is gone."""

from __future__ import annotations

import pytest
from sqlalchemy import LargeBinary
from sqlmodel import SQLModel

from core.services import Services
from models import Activity, Contact, Deal
from privacy.crypto import KeyUnavailableError
from privacy.sweep import new_marker, search
from tests.erasure.conftest import seed
from tests.support.world import TenantWorld


def encrypted_columns(*models: type[SQLModel]) -> list[str]:
    return [
        c.name
        for model in models
        for c in model.__table__.columns  # type: ignore[attr-defined]
        if isinstance(c.type, LargeBinary) and c.name.endswith("_enc")
    ]


ENCRYPTED = encrypted_columns(Contact, Deal, Activity)


async def shred(services: Services, world: TenantWorld) -> None:
    async with services.db.session(world.tenant_id) as session:
        await services.keyring.shred(session, world.tenant_id)
        await session.commit()


def test_deal_titles_and_activity_subjects_are_among_the_encrypted_columns() -> None:
    assert {"title_enc", "subject_enc", "body_enc", "email_enc"} <= set(ENCRYPTED)


async def test_after_key_destruction_the_data_key_cannot_be_had(
    backend: Services, world: TenantWorld
) -> None:
    await seed(backend, world, new_marker())
    await shred(backend, world)
    backend.keyring.forget(world.tenant_id)
    async with backend.db.session(world.tenant_id) as session:
        with pytest.raises(KeyUnavailableError):
            await backend.keyring.cipher(session, world.tenant_id)


async def test_after_key_destruction_a_raw_scan_finds_no_encrypted_columns_marker(
    backend: Services, world: TenantWorld
) -> None:
    marker = new_marker()
    await seed(backend, world, marker)
    await shred(backend, world)
    assert await search(backend, f"{marker} first_name") != []  # kept plain: the scan works
    found = {column: await search(backend, f"{marker} {column}") for column in ENCRYPTED}
    assert {column: hits for column, hits in found.items() if hits} == {}
