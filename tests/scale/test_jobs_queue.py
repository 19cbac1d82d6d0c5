"""Background jobs on the procrastinate queue, on the real PostgreSQL, with a worker in
the test process (issue 15): a job runs once its transaction commits, a failing job
is retried, a crashed worker's job is picked up again, an export is built through the
queue, and the admins see their workspace's jobs; the queue is used as the
application's own role."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from auth.accounts import bootstrap
from auth.permissions import Role
from core.jobs.queue import QueueRunner, retry_stalled, schedule_retention
from core.jobs.runner import JobStatus, enqueue_after_commit
from core.services import Services
from core.settings import Settings
from models.db import APP_ROLE
from models.retention import RetentionRun
from tests.privacy.export.conftest import START, STATUS, plant, run_ok
from tests.scale.conftest import RUNS
from tests.support.postgres import PostgresDatabase
from tests.support.world import Runner, TenantWorld, make_tenant

pytestmark = pytest.mark.postgres


@pytest.fixture
async def queue_services(
    settings: Settings, pg_database: PostgresDatabase
) -> AsyncIterator[Services]:
    update = {"database_url": pg_database.owner_url, "app_database_url": "",
              "job_queue": "procrastinate", "job_worker": False}  # fmt: skip
    services = Services.from_settings(settings.model_copy(update=update))
    await bootstrap(services)
    await services.jobs.start()
    yield services
    await services.close()


@pytest.fixture
async def world(queue_services: Services) -> TenantWorld:
    return await make_tenant(queue_services, "Queue PG")


def runner_of(services: Services) -> QueueRunner:
    assert isinstance(services.jobs, QueueRunner)
    return services.jobs


async def queue(services: Services, tenant: uuid.UUID, name: str, **ids: str) -> None:
    async with services.db.session(tenant) as session:
        enqueue_after_commit(services, session, name, tenant_id=tenant, **ids)
        await session.commit()
    await services.background.wait()  # the defer, after the commit


async def statuses(services: Services, tenant: uuid.UUID) -> list[tuple[str, JobStatus]]:
    return [(v.name, v.status) for v in await services.jobs.jobs(tenant, 10)]


async def test_a_queued_job_waits_for_a_worker_and_then_runs(
    queue_services: Services, world: TenantWorld
) -> None:
    k = uuid.uuid4().hex
    await queue(queue_services, world.tenant_id, "test.record", key=k)
    assert await statuses(queue_services, world.tenant_id) == [("test.record", JobStatus.QUEUED)]
    await runner_of(queue_services).work(wait=False)
    assert RUNS[k] == 1
    assert await statuses(queue_services, world.tenant_id) == [("test.record", JobStatus.DONE)]


async def test_a_failing_job_is_retried_by_the_queue_until_it_succeeds(
    queue_services: Services, world: TenantWorld
) -> None:
    k = uuid.uuid4().hex
    await queue(queue_services, world.tenant_id, "test.flaky", key=k, failures="2")
    for _ in range(3):
        await runner_of(queue_services).work(wait=False)
    [view] = await queue_services.jobs.jobs(world.tenant_id, 10)
    assert (RUNS[k], view.status, view.attempts) == (3, JobStatus.DONE, 3)


async def test_a_crashed_workers_job_is_picked_up_again(
    queue_services: Services, world: TenantWorld, pg_database: PostgresDatabase
) -> None:
    """A worker takes the job and dies (no more heartbeats): the stalled-job sweep puts
    the job back, and a live worker runs it."""
    k = uuid.uuid4().hex
    await queue(queue_services, world.tenant_id, "test.record", key=k)
    manager = runner_of(queue_services).app.job_manager
    dead_worker = await manager.register_worker()
    taken = await manager.fetch_job(queues=None, worker_id=dead_worker)
    assert taken is not None
    assert await statuses(queue_services, world.tenant_id) == [("test.record", JobStatus.RUNNING)]
    pg_database.owner().execute(
        "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour'"
    )
    assert await retry_stalled(runner_of(queue_services).app) == 1
    await runner_of(queue_services).work(wait=False)
    assert RUNS[k] == 1
    assert await statuses(queue_services, world.tenant_id) == [("test.record", JobStatus.DONE)]


async def test_an_export_is_built_by_the_queue_worker(
    queue_services: Services, world: TenantWorld
) -> None:
    planted = await plant(queue_services, world)
    runner = Runner(queue_services)
    started = await run_ok(runner, world, START, r=planted.request_gid)
    await queue_services.background.wait()
    export_id = started["startPrivacyExport"]["id"]
    assert (await run_ok(runner, world, STATUS, id=export_id))["privacyExport"][
        "status"
    ] == "QUEUED"
    await runner_of(queue_services).work(wait=False)
    assert (await run_ok(runner, world, STATUS, id=export_id))["privacyExport"]["status"] == "DONE"
    jobs = await runner(world.principal(Role.ADMIN), "{ backgroundJobs { name status } }")
    assert jobs.data["backgroundJobs"] == [{"name": "export.build", "status": "DONE"}]


async def test_the_queue_is_used_as_the_application_role_which_owns_none_of_it(
    queue_services: Services, pg_database: PostgresDatabase
) -> None:
    owners = (
        pg_database.owner()
        .execute("SELECT DISTINCT tableowner FROM pg_tables WHERE tablename LIKE 'procrastinate%'")
        .fetchall()
    )
    assert APP_ROLE not in [o[0] for o in owners]
    [row] = await runner_of(queue_services).app.connector.execute_query_all_async(
        "SELECT current_user AS name"
    )
    assert row["name"] == APP_ROLE


async def test_the_daily_schedule_queues_one_retention_purge_per_tenant_and_the_worker_runs_it(
    queue_services: Services, world: TenantWorld
) -> None:
    app = runner_of(queue_services).app
    await schedule_retention(app, queue_services)
    await schedule_retention(app, queue_services)  # still queued: not queued twice
    assert await statuses(queue_services, world.tenant_id) == [
        ("retention.purge", JobStatus.QUEUED)
    ]
    await runner_of(queue_services).work(wait=False)
    assert await statuses(queue_services, world.tenant_id) == [("retention.purge", JobStatus.DONE)]
    async with queue_services.db.session(world.tenant_id) as session:
        runs = (await session.execute(select(RetentionRun))).scalars().all()
    assert [(r.trigger, r.dry_run) for r in runs] == [("schedule", False)]
