"""The erasure record is append-only at the database (migration 0013): the application
can neither rewrite nor remove the proof of an erasure. SQLite refuses by trigger; on
PostgreSQL the application's role holds no UPDATE or DELETE on the table."""

from __future__ import annotations

import pytest
from sqlalchemy import exc, select, text

from core.services import Services
from models import Contact
from privacy.erasure import erase_person
from privacy.sweep import new_marker
from tests.erasure.conftest import seed
from tests.support.world import TenantWorld

CHANGES = {
    "update": "UPDATE erasure_record SET categories = 'NAME'",
    "delete": "DELETE FROM erasure_record",
}


@pytest.mark.parametrize("change", sorted(CHANGES))
async def test_the_application_cannot_change_an_erasure_record(
    backend: Services, world: TenantWorld, change: str
) -> None:
    contact_id = await seed(backend, world, new_marker())
    async with backend.db.session(world.tenant_id) as session:
        cipher = await backend.keyring.cipher(session, world.tenant_id)
        found = await session.execute(select(Contact).where(Contact.id == contact_id))
        await erase_person(session, cipher, found.scalar_one(), actor=None)
        await session.commit()
    async with backend.db.session(world.tenant_id) as session:
        session.info["allow_text_sql"] = True
        with pytest.raises(exc.DBAPIError):
            await session.execute(text(CHANGES[change]))
