"""The signed download link and the file's expiry (policy sections 5 and 9): the link
works for its own export until it expires, every wrong link gets the one 404 answer of
a missing export, each download is audited, and the purge deletes expired files."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx
from sqlalchemy import select

from auth.permissions import Role
from core.services import Services
from models import AuditEvent, PrivacyExport
from privacy.export.links import LinkClaims, download_path
from privacy.export.storage import purge_expired_exports
from resolvers.global_ids import decode_id, encode_id
from tests.privacy.export.conftest import Planted, built_export, download, run_ok
from tests.support.world import Runner, TenantWorld


async def row(services: Services, world: TenantWorld, gid: str) -> PrivacyExport:
    async with services.db.session(world.tenant_id) as session:
        found = await session.get(PrivacyExport, decode_id(gid)[1])
        assert found is not None
        return found


def claims_of(url: str) -> LinkClaims:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return LinkClaims(
        uuid.UUID(parts.path.split("/")[2]), uuid.UUID(query["tenant"]),
        uuid.UUID(query["request"]), int(query["expires"]),
    )  # fmt: skip


def answer(response: httpx.Response) -> tuple[int, bytes, str]:
    return response.status_code, response.content, response.headers["content-type"]


async def test_each_download_is_audited_and_the_first_is_recorded(
    services: Services,
    runner: Runner,
    tenant_a: TenantWorld,
    planted: Planted,
    client: httpx.AsyncClient,
) -> None:
    export = await built_export(services, runner, tenant_a, planted.request_gid)
    assert (await row(services, tenant_a, export["id"])).downloaded_at is None
    for _ in range(2):
        assert (await download(client, export["downloadUrl"])).status_code == 200
    async with services.db.session(tenant_a.tenant_id) as session:
        events = [
            e for e in (await session.execute(select(AuditEvent))).scalars()
            if e.action == "export_downloaded"
        ]  # fmt: skip
    assert len(events) == 2
    assert all(e.actor_type == "link" and str(decode_id(export["id"])[1]) in (e.detail or "")
               for e in events)  # fmt: skip
    assert (await row(services, tenant_a, export["id"])).downloaded_at is not None


async def test_a_wrong_signature_an_expired_link_and_another_tenant_answer_like_a_missing_export(
    services: Services,
    runner: Runner,
    tenant_a: TenantWorld,
    tenant_b: TenantWorld,
    planted: Planted,
    client: httpx.AsyncClient,
) -> None:
    export = await built_export(services, runner, tenant_a, planted.request_gid)
    key = services.settings.export_link_key
    good = claims_of(export["downloadUrl"])
    missing = await client.get(download_path(key, LinkClaims(
        uuid.uuid4(), good.tenant_id, good.request_id, good.expires)))  # fmt: skip
    assert missing.status_code == 404
    forged = download_path(b"k" * 32, good)
    a_second_ago = int(datetime.now(UTC).timestamp()) - 1
    expired = download_path(key, LinkClaims(
        good.export_id, good.tenant_id, good.request_id, a_second_ago))  # fmt: skip
    other_tenant = download_path(key, LinkClaims(
        good.export_id, tenant_b.tenant_id, good.request_id, good.expires))  # fmt: skip
    other_request = download_path(key, LinkClaims(
        good.export_id, good.tenant_id, uuid.uuid4(), good.expires))  # fmt: skip
    tampered = export["downloadUrl"].replace("expires=", "expires=9")
    for url in (forged, expired, other_tenant, other_request, tampered):
        assert answer(await download(client, url)) == answer(missing), url


async def test_the_purge_deletes_expired_files_and_marks_their_rows(
    services: Services, runner: Runner, tenant_a: TenantWorld, planted: Planted,
    client: httpx.AsyncClient,
) -> None:  # fmt: skip
    export = await built_export(services, runner, tenant_a, planted.request_gid)
    built = await row(services, tenant_a, export["id"])
    assert built.file_path is not None and built.expires_at is not None
    assert built.expires_at - built.created_at >= timedelta(days=7)
    path = anyio.Path(built.file_path)
    later = built.expires_at + timedelta(seconds=1)
    async with services.db.session(tenant_a.tenant_id) as session:
        assert (
            await purge_expired_exports(session, now=built.expires_at - timedelta(1), dry_run=False)
            == 0
        )
        assert await purge_expired_exports(session, now=later, dry_run=True) == 1
        assert await path.exists()
        assert await purge_expired_exports(session, now=later, dry_run=False) == 1
        await session.commit()
    assert not await path.exists()
    purged = await row(services, tenant_a, export["id"])
    assert (purged.status, purged.file_path) == ("expired", None)
    # The link signed before the purge now answers like a missing export.
    assert (await download(client, export["downloadUrl"])).status_code == 404


ERASE = 'mutation($c: ID!) { eraseContact(contact: $c, reason: "art. 17") { contact { id } } }'
COMPLETE = (
    'mutation($r: ID!) { completePrivacyRequest(request: $r, evidence: "package sent") '
    "{ request { id } } }"
)


async def test_erasing_the_person_deletes_their_export_packages(
    services: Services, runner: Runner, tenant_a: TenantWorld, planted: Planted
) -> None:
    export = await built_export(services, runner, tenant_a, planted.request_gid)
    built = await row(services, tenant_a, export["id"])
    assert built.file_path is not None
    await run_ok(runner, tenant_a, COMPLETE, r=planted.request_gid)  # it protected the data
    erased = await runner(
        tenant_a.principal(Role.OWNER), ERASE, {"c": encode_id("Contact", planted.person)}
    )
    assert erased.errors is None, erased.errors
    assert not await anyio.Path(built.file_path).exists()
    after = await row(services, tenant_a, export["id"])
    assert (after.status, after.file_path) == ("expired", None)
