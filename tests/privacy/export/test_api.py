"""Starting an export through the API (policy section 9): only for an open, verified
access or portability request, with progress in the API, and no answer that tells
another tenant's exports apart from missing ones."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select

from auth.permissions import Role
from core.services import Services
from models import AuditEvent, PrivacyExport
from privacy.export import jobs
from privacy.request_rules import RequestKind
from resolvers.global_ids import encode_id
from tests.privacy.export.conftest import (
    START,
    STATUS,
    Planted,
    add_request,
    built_export,
)
from tests.support.world import Runner, TenantWorld


async def exports(services: Services, world: TenantWorld) -> list[PrivacyExport]:
    async with services.db.session(world.tenant_id) as session:
        return list((await session.execute(select(PrivacyExport))).scalars())


async def test_an_unverified_request_is_refused_and_nothing_is_queued(
    services: Services, runner: Runner, tenant_a: TenantWorld, planted: Planted
) -> None:
    unverified = await add_request(
        services, tenant_a, kind=RequestKind.PORTABILITY, contact_id=planted.person,
        verified=False,
    )  # fmt: skip
    result = await runner(
        tenant_a.principal(Role.ADMIN), START, {"r": encode_id("PrivacyRequest", unverified)}
    )
    assert result.errors[0].extensions["code"] == "IDENTITY_NOT_VERIFIED"
    assert await exports(services, tenant_a) == []


async def test_another_kind_of_request_is_refused_with_its_own_code(
    services: Services, runner: Runner, tenant_a: TenantWorld, planted: Planted
) -> None:
    erasure = await add_request(
        services, tenant_a, kind=RequestKind.ERASURE, contact_id=planted.person
    )
    result = await runner(
        tenant_a.principal(Role.ADMIN), START, {"r": encode_id("PrivacyRequest", erasure)}
    )
    assert result.errors[0].extensions["code"] == "NOT_AN_ACCESS_REQUEST"
    assert await exports(services, tenant_a) == []


async def test_only_a_privacy_admin_may_start_an_export(
    runner: Runner, tenant_a: TenantWorld, planted: Planted
) -> None:
    result = await runner(tenant_a.principal(Role.SALES), START, {"r": planted.request_gid})
    assert result.errors[0].extensions["code"] == "FORBIDDEN"


async def test_the_build_runs_in_the_background_and_reports_progress(
    services: Services, runner: Runner, tenant_a: TenantWorld, planted: Planted
) -> None:
    started = await runner(tenant_a.principal(Role.ADMIN), START, {"r": planted.request_gid})
    assert started.data["startPrivacyExport"]["status"] == "QUEUED"
    assert services.background.running == 1
    await services.background.wait()
    done = await runner(
        tenant_a.principal(Role.ADMIN), STATUS, {"id": started.data["startPrivacyExport"]["id"]}
    )
    export = done.data["privacyExport"]
    assert (export["status"], export["progress"], export["requestId"]) == (
        "DONE", 100, planted.request_gid,
    )  # fmt: skip
    assert export["downloadUrl"].startswith("http://127.0.0.1:8000/exports/")


async def test_starting_and_building_are_audited(
    services: Services, runner: Runner, tenant_a: TenantWorld, planted: Planted
) -> None:
    await built_export(services, runner, tenant_a, planted.request_gid)
    async with services.db.session(tenant_a.tenant_id) as session:
        actions = [e.action for e in (await session.execute(select(AuditEvent))).scalars()]
    assert {"export_started", "export_built"} <= set(actions)


async def test_another_tenant_s_export_answers_exactly_like_a_missing_one(
    services: Services,
    runner: Runner,
    tenant_a: TenantWorld,
    tenant_b: TenantWorld,
    planted: Planted,
) -> None:
    export = await built_export(services, runner, tenant_a, planted.request_gid)
    as_b = tenant_b.principal(Role.ADMIN)
    foreign = await runner(as_b, STATUS, {"id": export["id"]})
    missing = await runner(as_b, STATUS, {"id": encode_id("PrivacyExport", uuid.uuid4())})
    assert foreign.data is None and missing.data is None
    assert [e.formatted for e in foreign.errors] == [e.formatted for e in missing.errors]
    started = await runner(as_b, START, {"r": planted.request_gid})
    never = await runner(as_b, START, {"r": encode_id("PrivacyRequest", uuid.uuid4())})
    assert [e.formatted for e in started.errors] == [e.formatted for e in never.errors]


async def test_shutdown_cancels_a_running_build_which_is_marked_failed_without_a_file(
    services: Services,
    runner: Runner,
    tenant_a: TenantWorld,
    planted: Planted,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reading = asyncio.Event()

    async def slow_collect(*args: object, **kwargs: object) -> None:
        reading.set()
        await asyncio.sleep(3600)

    monkeypatch.setattr(jobs, "collect_contact", slow_collect)
    started = await runner(tenant_a.principal(Role.ADMIN), START, {"r": planted.request_gid})
    await asyncio.wait_for(reading.wait(), 5)
    await services.background.stop(grace_s=0.01)
    assert services.background.running == 0
    (export,) = await exports(services, tenant_a)
    assert encode_id("PrivacyExport", export.id) == started.data["startPrivacyExport"]["id"]
    assert (export.status, export.file_path) == ("failed", None)
    assert not any(services.settings.export_dir.glob("*.zip"))
