"""Master-key rotation (policy section 8): `ledgerline rotate-keys` re-wraps every data key
under the active master key while the service keeps serving.

Data is created with `LEDGERLINE_MASTER_KEY=k1:<old>`; the operator then configures
`k2:<new>,k1:<old>` (the first key is the active one) and runs the command, exactly as
documented: through the typer CLI (`server.cli.app`), on its own thread because it calls
`asyncio.run`. Afterwards every `tenant_key` row names `k2` and the data decrypts with
`k2` alone.
"""

from __future__ import annotations

import asyncio
import base64
import re
import secrets
import sqlite3
import threading
import uuid
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from auth.accounts import bootstrap, find_user_id_by_email
from auth.permissions import Role
from core.services import Services
from core.settings import Settings, load_settings
from privacy.crypto import KeyUnavailableError
from privacy.keyring import KeyRing
from resolvers.global_ids import decode_id
from server.cli import app as cli_app
from tests.support.world import Runner, TenantWorld, make_tenant

CREATE = """
mutation($input: CreateContactInput!) { createContact(input: $input) { contact { id } } }
"""
READ = "{ contacts(first: 50) { nodes { id email phone notes } } }"


def b64(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode()


@dataclass
class KeyWorld:
    settings: Settings
    old_key: bytes
    new_key: bytes
    tenants: dict[str, TenantWorld]
    contacts: dict[str, dict[str, str]]
    """tenant label -> {contact global id: email}"""

    @property
    def db_path(self) -> Path:
        return Path(make_url(self.settings.database_url).database or "")

    def key_rows(self) -> dict[str, tuple[str, bytes, str | None]]:
        """tenant_key rows read with sqlite3: owner hex -> (master key id, wrapped, rotated)."""
        with closing(sqlite3.connect(self.db_path, timeout=10)) as conn:
            rows = conn.execute(
                "SELECT tenant_id, master_key_id, wrapped_key, rotated_at FROM tenant_key"
            ).fetchall()
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def user_emails_enc(self) -> list[bytes]:
        with closing(sqlite3.connect(self.db_path, timeout=10)) as conn:
            return [r[0] for r in conn.execute("SELECT email_enc FROM app_user")]


def configure(monkeypatch: pytest.MonkeyPatch, master: str) -> Settings:
    """What an operator does: set LEDGERLINE_MASTER_KEY, then (re)load the configuration."""
    monkeypatch.setenv("LEDGERLINE_MASTER_KEY", master)
    return load_settings()


@pytest.fixture
async def key_world(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> KeyWorld:
    """Two tenants with contacts, everything wrapped by k1 (the only master key)."""
    old_key, new_key = secrets.token_bytes(32), secrets.token_bytes(32)
    k1_settings = configure(monkeypatch, f"k1:{b64(old_key)}")
    assert k1_settings.master_keys == {"k1": old_key}
    services = Services.from_settings(k1_settings)
    try:
        await bootstrap(services)
        runner = Runner(services)
        tenants, contacts = {}, {}
        for label in ("a", "b"):
            world = await make_tenant(services, f"Rotation {label.upper()}")
            tenants[label] = world
            contacts[label] = {}
            for n in range(3):
                email = f"cnry-{label}{n}-{secrets.token_hex(4)}@example.com"
                result = await runner(
                    world.principal(Role.OWNER),
                    CREATE,
                    {"input": {"firstName": f"P{n}", "email": email, "notes": f"note {email}"}},
                )
                assert result.errors is None, result.errors
                contacts[label][result.data["createContact"]["contact"]["id"]] = email
    finally:
        await services.close()
    return KeyWorld(k1_settings, old_key, new_key, tenants, contacts)


def invoke_rotate_keys() -> Result:
    return CliRunner().invoke(cli_app, ["rotate-keys"], catch_exceptions=True)


async def rotate(world: KeyWorld, monkeypatch: pytest.MonkeyPatch) -> Result:
    configure(monkeypatch, f"k2:{b64(world.new_key)},k1:{b64(world.old_key)}")
    result = await asyncio.to_thread(invoke_rotate_keys)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def rewrapped_count(result: Result) -> int:
    match = re.search(r"re-wrapped (\d+) data keys", result.output)
    assert match, result.output
    return int(match.group(1))


async def read_all(services: Services, world: KeyWorld) -> None:
    """Every contact of both tenants reads back with its email, through the API."""
    runner = Runner(services)
    for label, tenant in world.tenants.items():
        result = await runner(tenant.principal(Role.OWNER), READ)
        assert result.errors is None, result.errors
        seen = {n["id"]: n["email"] for n in result.data["contacts"]["nodes"]}
        for gid, email in world.contacts[label].items():
            assert seen.get(gid) == email, (label, gid)
        notes = {n["notes"] for n in result.data["contacts"]["nodes"]}
        expected = {f"note {e}" for e in world.contacts[label].values() if "-during-" not in e}
        assert notes >= expected


async def test_rotate_keys_rewraps_every_data_key_under_the_new_master_key(
    key_world: KeyWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = key_world.key_rows()
    assert len(before) == 3  # the platform key and one per tenant
    assert {row[0] for row in before.values()} == {"k1"}

    result = await rotate(key_world, monkeypatch)
    assert rewrapped_count(result) == 3

    after = key_world.key_rows()
    assert after.keys() == before.keys()
    for owner, (master_key_id, wrapped, rotated_at) in after.items():
        assert master_key_id == "k2", owner
        assert wrapped != before[owner][1], owner
        assert rotated_at is not None, owner

    # Idempotent: a second run has nothing left to do.
    assert rewrapped_count(await asyncio.to_thread(invoke_rotate_keys)) == 0


async def test_after_rotation_the_new_master_key_alone_decrypts_everything(
    key_world: KeyWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    await rotate(key_world, monkeypatch)
    k2_only = configure(monkeypatch, f"k2:{b64(key_world.new_key)}")
    assert set(k2_only.master_keys) == {"k2"}
    services = Services.from_settings(k2_only)
    try:
        await read_all(services, key_world)
        # Account data (the platform key): users' emails decrypt and sign-in lookups work.
        platform = await services.keyring.platform_cipher(services.db)
        emails = [platform.decrypt(blob) for blob in key_world.user_emails_enc()]
        assert emails and all("@" in (e or "") for e in emails)
        assert await find_user_id_by_email(services, emails[0]) is not None
    finally:
        await services.close()


async def test_after_rotation_the_old_master_key_alone_no_longer_unwraps(
    key_world: KeyWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Proof that the rows really moved: retiring k1 is safe, and k1 alone is useless."""
    await rotate(key_world, monkeypatch)
    platform_before = key_world.key_rows()[uuid.UUID(int=0).hex]
    k1_only = configure(monkeypatch, f"k1:{b64(key_world.old_key)}")
    services = Services.from_settings(k1_only)
    try:
        tenant = key_world.tenants["a"]
        async with services.db.session(tenant.tenant_id) as session:
            with pytest.raises(KeyUnavailableError, match="k2"):
                await services.keyring.cipher(session, tenant.tenant_id)
        # The platform key is not silently replaced by a new one (which would orphan
        # every user's encrypted email): the attempt fails and the row is unchanged.
        with pytest.raises((IntegrityError, KeyUnavailableError)):
            await services.keyring.platform_cipher(services.db)
    finally:
        await services.close()
    assert key_world.key_rows()[uuid.UUID(int=0).hex] == platform_before


async def test_the_api_keeps_serving_between_two_rewraps(
    key_world: KeyWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rotation is paused after the platform key and the first tenant are re-wrapped
    and before the second: the API, configured with both keys, serves both tenants
    (reads and a write) from a database in the mixed state, then the rotation finishes."""
    both = configure(monkeypatch, f"k2:{b64(key_world.new_key)},k1:{b64(key_world.old_key)}")
    warm = Services.from_settings(both)  # a server running since before the rotation
    await read_all(warm, key_world)

    reached, resume = threading.Event(), threading.Event()
    calls: list[uuid.UUID] = []
    original = KeyRing.rewrap

    async def paused_rewrap(self: KeyRing, session: object, owner: uuid.UUID) -> bool:
        calls.append(owner)
        if len(calls) == 3:  # platform, first tenant done and committed; second not yet
            reached.set()
            if not resume.wait(60):
                raise RuntimeError("the test never resumed the rotation")
        return await original(self, session, owner)  # type: ignore[arg-type]

    monkeypatch.setattr(KeyRing, "rewrap", paused_rewrap)
    rotation = asyncio.ensure_future(asyncio.to_thread(invoke_rotate_keys))
    cold = Services.from_settings(both)  # a server (re)started during the rotation
    try:
        assert await asyncio.to_thread(reached.wait, 60), "the rotation never started"
        mixed = key_world.key_rows()
        assert sorted(row[0] for row in mixed.values()) == ["k1", "k2", "k2"]
        await read_all(warm, key_world)
        await read_all(cold, key_world)
        for label, tenant in key_world.tenants.items():
            email = f"cnry-during-{label}-{secrets.token_hex(4)}@example.com"
            result = await Runner(cold)(
                tenant.principal(Role.OWNER),
                CREATE,
                {"input": {"email": email, "phone": "+442071838750"}},
            )
            assert result.errors is None, result.errors
            key_world.contacts[label][result.data["createContact"]["contact"]["id"]] = email
    finally:
        resume.set()
        result = await rotation
        await warm.close()
        await cold.close()
    assert result.exit_code == 0, (result.output, result.exception)
    assert rewrapped_count(result) == 3
    assert {row[0] for row in key_world.key_rows().values()} == {"k2"}
    assert all(decode_id(gid)[0] == "Contact" for c in key_world.contacts.values() for gid in c)

    k2_only = configure(monkeypatch, f"k2:{b64(key_world.new_key)}")
    services = Services.from_settings(k2_only)
    try:
        await read_all(services, key_world)  # including the contacts written mid-rotation
    finally:
        await services.close()
