"""The write-behind read audit (privacy/audit.py AuditSink): reads are audited by the
served app's background sink, changes always in their own transaction, and nothing
submitted is lost at shutdown."""

import pytest
from sqlalchemy import func, select

from auth.permissions import Role
from models import AuditEvent, AuditSubject, UsageEvent
from privacy.audit import AuditSink

CREATE = "mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } } }"
READ = "{ contacts(first: 10) { nodes { id email } } }"


@pytest.fixture
async def sink(services):
    sink = services.extras["audit_sink"] = AuditSink(
        services.db, services.settings.audit_key, interval=3600
    )
    sink.start()
    yield sink
    await sink.stop()
    services.extras.pop("audit_sink", None)


async def _count(services, tenant_id, model, **where):
    stmt = select(func.count(model.id)).where(
        *(getattr(model, name) == value for name, value in where.items())
    )
    async with services.db.session(tenant_id) as session:
        return (await session.execute(stmt)).scalar_one()


async def _seed(runner, tenant, n):
    owner = tenant.principal(Role.OWNER)
    for i in range(n):
        result = await runner(owner, CREATE, {"i": {"email": f"p{i}@example.com"}})
        assert result.errors is None


async def test_reads_are_audited_by_the_sink_after_the_request(runner, services, tenant_a, sink):
    await _seed(runner, tenant_a, 3)
    await runner(tenant_a.principal(Role.SALES), READ)
    assert await _count(services, tenant_a.tenant_id, AuditSubject) == 0
    await sink.drain()
    assert await _count(services, tenant_a.tenant_id, AuditSubject) == 3
    assert await _count(services, tenant_a.tenant_id, AuditEvent, action="pii_read") == 1


async def test_changes_are_audited_in_their_own_transaction_even_with_a_sink(
    runner, services, tenant_a, sink
):
    await _seed(runner, tenant_a, 1)
    assert await _count(services, tenant_a.tenant_id, AuditEvent, action="contact_created") == 1


async def test_stopping_the_sink_writes_what_was_submitted(runner, services, tenant_a, sink):
    await _seed(runner, tenant_a, 2)
    await runner(tenant_a.principal(Role.SALES), READ)
    await sink.stop()
    assert await _count(services, tenant_a.tenant_id, AuditSubject) == 2
    assert await _count(services, tenant_a.tenant_id, UsageEvent) >= 3


async def test_each_tenants_reads_land_in_that_tenant(runner, services, tenant_a, tenant_b, sink):
    await _seed(runner, tenant_a, 2)
    await _seed(runner, tenant_b, 1)
    await runner(tenant_a.principal(Role.SALES), READ)
    await runner(tenant_b.principal(Role.SALES), READ)
    await sink.drain()
    assert await _count(services, tenant_a.tenant_id, AuditSubject) == 2
    assert await _count(services, tenant_b.tenant_id, AuditSubject) == 1
