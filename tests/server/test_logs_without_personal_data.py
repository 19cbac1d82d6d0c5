"""Policy section 8: database errors never carry statement parameters (personal data)
into exception messages or logs."""

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from models import Contact


async def test_a_failing_statement_hides_its_parameters(services, tenant_a):
    canary = "Cnry7f3aSurname"
    async with services.db.session(tenant_a.tenant_id) as session:
        row = {"id": tenant_a.tenant_id, "tenant_id": tenant_a.tenant_id, "last_name": canary,
               "lifecycle_stage": "lead", "restricted": False}  # fmt: skip
        await session.execute(insert(Contact), [row])
        with pytest.raises(IntegrityError) as caught:
            await session.execute(insert(Contact), [row])  # the same primary key again
    assert canary not in str(caught.value)
    assert "hidden due to hide_parameters" in str(caught.value)
