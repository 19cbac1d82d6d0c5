"""exportMyData (policy section 9): an account holder exports their own account data,
where the service is the controller, in the same package format; secrets stay out."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from auth.permissions import Role
from core.services import Services
from models import AuthSession, PrivacyRequest, User
from tests.privacy.export.conftest import documents, download, everything, unzip
from tests.support.world import Runner, TenantWorld

EXPORT_ME = "mutation { exportMyData { id status requestId } }"
MINE = "query($id: ID!) { myDataExport(id: $id) { status progress sha256 downloadUrl } }"


async def test_an_account_holder_exports_their_own_data_without_secrets(
    services: Services, runner: Runner, tenant_a: TenantWorld, client: httpx.AsyncClient
) -> None:
    me = tenant_a.principal(Role.SALES)
    token = secrets.token_urlsafe(32)
    async with services.db.session(tenant_a.tenant_id, user_id=me.user_id) as session:
        session.add(AuthSession(
            kind="cookie", secret_hash=hashlib.sha256(token.encode()).digest(),
            user_id=me.user_id, tenant_id=tenant_a.tenant_id,
            expires_at=datetime.now(UTC) + timedelta(hours=1),
        ))  # fmt: skip
        await session.commit()
    started = await runner(me, EXPORT_ME)
    assert started.errors is None, started.errors
    await services.background.wait()
    status = await runner(me, MINE, {"id": started.data["exportMyData"]["id"]})
    assert status.data["myDataExport"]["status"] == "DONE"
    body = (await download(client, status.data["myDataExport"]["downloadUrl"])).content

    cipher = await services.keyring.platform_cipher(services.db)
    async with services.db.session(None, user_scope=me.user_id) as session:
        user = await session.get(User, me.user_id)
        assert user is not None
    docs = documents(unzip(body))
    account = next(r for r in docs["data.json"]["records"] if r["table"] == "app_user")
    assert account["fields"]["email"]["value"] == cipher.decrypt(user.email_enc)
    assert docs["manifest.json"]["subject"] == {"kind": "account", "id": str(me.user_id)}
    assert docs["processing.json"]["controller"]["role"] == "service"
    blob = everything(body)
    token_hash = hashlib.sha256(token.encode())
    planted_secrets = (
        user.password_hash.encode(), user.email_bidx, user.email_bidx.hex().encode(),
        token.encode(), token_hash.digest(), token_hash.hexdigest().encode(),
    )  # fmt: skip
    for secret in planted_secrets:
        assert secret not in blob
    assert "app_user.password_hash" in {w["what"] for w in docs["manifest.json"]["withheld"]}


async def test_the_self_export_answers_an_access_request_of_the_account(
    services: Services, runner: Runner, tenant_a: TenantWorld
) -> None:
    me = tenant_a.principal(Role.READ_ONLY)
    started = await runner(me, EXPORT_ME)
    await services.background.wait()
    async with services.db.session(tenant_a.tenant_id) as session:
        (request,) = (await session.execute(select(PrivacyRequest))).scalars()
    assert (request.kind, request.user_id, request.verification) == (
        "access", me.user_id, "verified",
    )  # fmt: skip
    assert started.data["exportMyData"]["requestId"] is not None


async def test_someone_else_s_self_export_answers_not_found(
    services: Services, runner: Runner, tenant_a: TenantWorld
) -> None:
    started = await runner(tenant_a.principal(Role.SALES), EXPORT_ME)
    await services.background.wait()
    other = await runner(
        tenant_a.principal(Role.SUPPORT), MINE, {"id": started.data["exportMyData"]["id"]}
    )
    assert other.errors[0].extensions["code"] == "NOT_FOUND"
