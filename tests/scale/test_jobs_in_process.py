"""Background jobs on the embedded default (SQLite): the same job functions run as
in-process tasks, once their transaction commits, retried with backoff, and the
workspace's admins see them (issue 15)."""

from __future__ import annotations

import uuid

from auth.permissions import Role
from core.jobs.inprocess import InProcessRunner
from core.jobs.runner import JobStatus, enqueue_after_commit
from core.services import Services
from tests.scale.conftest import RUNS
from tests.support.world import Runner, TenantWorld

JOBS_QUERY = "{ backgroundJobs { id name status attempts } }"


def key() -> str:
    return uuid.uuid4().hex


async def queue(
    services: Services, tenant: uuid.UUID, name: str, *, commit: bool, **ids: str
) -> None:
    async with services.db.session(tenant) as session:
        enqueue_after_commit(services, session, name, tenant_id=tenant, **ids)
        if commit:
            await session.commit()
        else:
            await session.rollback()
    await services.background.wait()


async def test_the_embedded_default_runs_jobs_in_process(services: Services) -> None:
    assert isinstance(services.jobs, InProcessRunner)


async def test_a_job_runs_once_its_transaction_commits(
    services: Services, tenant_a: TenantWorld
) -> None:
    k = key()
    await queue(services, tenant_a.tenant_id, "test.record", commit=True, key=k)
    assert RUNS[k] == 1
    [view] = await services.jobs.jobs(tenant_a.tenant_id, 10)
    assert (view.name, view.status, view.attempts) == ("test.record", JobStatus.DONE, 1)


async def test_a_job_never_runs_when_its_transaction_rolls_back(
    services: Services, tenant_a: TenantWorld
) -> None:
    k = key()
    await queue(services, tenant_a.tenant_id, "test.record", commit=False, key=k)
    assert RUNS[k] == 0
    assert await services.jobs.jobs(tenant_a.tenant_id, 10) == []


async def test_a_failing_job_is_retried_until_it_succeeds(
    services: Services, tenant_a: TenantWorld
) -> None:
    k = key()
    await queue(services, tenant_a.tenant_id, "test.flaky", commit=True, key=k, failures="2")
    [view] = await services.jobs.jobs(tenant_a.tenant_id, 10)
    assert (RUNS[k], view.status, view.attempts) == (3, JobStatus.DONE, 3)


async def test_a_job_that_keeps_failing_ends_failed_after_its_retries(
    services: Services, tenant_a: TenantWorld
) -> None:
    k = key()
    await queue(services, tenant_a.tenant_id, "test.flaky", commit=True, key=k, failures="99")
    [view] = await services.jobs.jobs(tenant_a.tenant_id, 10)
    assert (RUNS[k], view.status) == (4, JobStatus.FAILED)  # the first try and 3 retries


async def test_admins_see_their_workspace_jobs_and_no_other(
    services: Services, runner: Runner, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    await queue(services, tenant_a.tenant_id, "test.record", commit=True, key=key())
    mine = await runner(tenant_a.principal(Role.ADMIN), JOBS_QUERY)
    theirs = await runner(tenant_b.principal(Role.ADMIN), JOBS_QUERY)
    assert mine.errors is None and theirs.errors is None
    assert [(j["name"], j["status"]) for j in mine.data["backgroundJobs"]] == [
        ("test.record", "DONE")
    ]
    assert theirs.data["backgroundJobs"] == []


async def test_members_without_tenant_management_cannot_list_jobs(
    runner: Runner, tenant_a: TenantWorld
) -> None:
    result = await runner(tenant_a.principal(Role.SALES), JOBS_QUERY)
    assert result.errors[0].extensions["code"] == "FORBIDDEN"
