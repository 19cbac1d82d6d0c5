"""Encryption of personal data at rest, checked against the raw SQLite file (policy section 8).

Contacts are created through the API with canary values; the database file is then read
with the stdlib `sqlite3` module, below the application: none of the canaries may appear
in the `contact` table nor anywhere in the file's bytes (after a WAL checkpoint, with the
`-wal` and `-shm` files read too). Lookups by email go through the keyed blind index,
which differs between tenants; ciphertexts are bound to their tenant; deleting a tenant's
data key (crypto-shredding) leaves only unreadable ciphertext behind.
"""

from __future__ import annotations

import secrets
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy.engine import make_url

from auth.permissions import Role
from core.services import Services
from core.settings import Settings
from privacy.crypto import KeyUnavailableError, TenantCipher, new_data_key
from resolvers.global_ids import decode_id, encode_id
from tests.support.world import Runner, TenantWorld

CREATE = """
mutation($input: CreateContactInput!) {
  createContact(input: $input) { contact { id email phone address notes } }
}
"""
BY_EMAIL = """
query($email: String!) {
  contacts(filter: {email: $email}, first: 10) { totalCount nodes { id email } }
}
"""
ENCRYPTED_COLUMNS = ("email_enc", "phone_enc", "address_enc", "date_of_birth_enc", "notes_enc")


def db_path(settings: Settings) -> Path:
    path = make_url(settings.database_url).database
    assert path, settings.database_url
    return Path(path)


@contextmanager
def raw(settings: Settings) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection to the application's database file."""
    with closing(sqlite3.connect(db_path(settings), timeout=10)) as conn:
        yield conn
        conn.commit()


def canaries() -> dict[str, str]:
    tag = secrets.token_hex(8)
    return {
        "email": f"cnry-{tag}@example.com",
        "phone": "+442071838750",
        "address": f"cnry-addr-{tag} Canary Wharf",
        # A date that nothing else in a fresh database can contain (timestamps are recent).
        "dateOfBirth": "1931-07-14",
        "notes": f"cnry-notes-{tag}: allergic to penicillin",
    }


def needles(values: dict[str, str]) -> list[bytes]:
    """Every spelling of a canary that would betray it in the file."""
    out = []
    for value in values.values():
        out.append(value.encode())
        out.append(value.encode("utf-16-le"))
    out.append(values["phone"].lstrip("+").encode())  # the digits alone
    out.append(values["dateOfBirth"].replace("-", "").encode())
    return out


async def create_contact(
    runner: Runner, world: TenantWorld, values: dict[str, str], first_name: str = "Canary"
) -> uuid.UUID:
    result = await runner(
        world.principal(Role.OWNER), CREATE, {"input": {"firstName": first_name, **values}}
    )
    assert result.errors is None, result.errors
    contact = result.data["createContact"]["contact"]
    # The API itself still shows the values (the owner reads everything but the date of
    # birth, which no purpose of sales needs).
    assert contact["email"] == values["email"]
    assert contact["phone"] == values["phone"]
    assert contact["notes"] == values["notes"]
    return decode_id(contact["id"])[1]


def contact_row(settings: Settings, contact_id: uuid.UUID) -> dict[str, Any]:
    with raw(settings) as conn:
        conn.row_factory = sqlite3.Row
        # uuid columns are stored as 32 hex characters (sqlalchemy's Uuid on SQLite).
        row = conn.execute("SELECT * FROM contact WHERE id = ?", (contact_id.hex,)).fetchone()
    assert row is not None, f"contact {contact_id} not in the raw table"
    return dict(row)


def checkpoint(settings: Settings) -> None:
    with raw(settings) as conn:
        busy, _log, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy == 0, "the WAL checkpoint could not complete"


def all_file_bytes(settings: Settings) -> bytes:
    path = db_path(settings)
    data = path.read_bytes()
    for suffix in ("-wal", "-shm", "-journal"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            data += side.read_bytes()
    return data


async def test_canaries_appear_nowhere_in_the_raw_database(
    services: Services, runner: Runner, settings: Settings, tenant_a: TenantWorld
) -> None:
    values = canaries()
    contact_id = await create_contact(runner, tenant_a, values)
    # Read it back once, so any read path (audit rows, caches) has had its chance to write.
    listed = await runner(tenant_a.principal(Role.OWNER), BY_EMAIL, {"email": values["email"]})
    assert listed.errors is None, listed.errors

    row = contact_row(settings, contact_id)
    assert row["first_name"] == "Canary"  # the right row, read below the application
    for column in ENCRYPTED_COLUMNS:
        blob = row[column]
        assert isinstance(blob, bytes), (column, blob)
        assert blob[:1] == b"\x01"  # versioned AES-GCM envelope
        assert len(blob) >= 1 + 12 + 16  # version, nonce, tag at least
    assert isinstance(row["email_bidx"], bytes) and len(row["email_bidx"]) == 16

    with raw(settings) as conn:
        table_dump = "\n".join(repr(r) for r in conn.execute("SELECT * FROM contact"))
    for value in values.values():
        assert value not in table_dump
    assert "442071838750" not in table_dump

    await services.db.dispose()  # no pooled connection keeps the WAL open
    checkpoint(settings)
    data = all_file_bytes(settings)
    assert b"Canary" in data  # the scan sees plaintext columns, so it would see a leak
    for needle in needles(values):
        assert needle not in data, f"{needle!r} found in the raw database file"


async def test_other_encrypted_columns_and_account_emails_are_not_in_the_file(
    services: Services, runner: Runner, settings: Settings, tenant_a: TenantWorld
) -> None:
    """Company addresses, activity bodies (free text about a contact) and users' emails
    (under the platform key) are encrypted too."""
    tag = secrets.token_hex(8)
    address, body = f"cnry-co-addr-{tag} Threadneedle St", f"cnry-body-{tag} called about it"
    owner = tenant_a.principal(Role.OWNER)
    contact_id = await create_contact(runner, tenant_a, canaries())
    company = await runner(
        owner,
        "mutation($i: CreateCompanyInput!) { createCompany(input: $i) { company { id address } } }",
        {"i": {"name": f"Plain Co {tag}", "address": address}},
    )
    assert company.errors is None, company.errors
    assert company.data["createCompany"]["company"]["address"] == address
    activity = await runner(
        owner,
        "mutation($i: CreateActivityInput!) { createActivity(input: $i) { activity { id body } } }",
        {
            "i": {
                "kind": "NOTE",
                "subject": "Call",
                "body": body,
                "contact": encode_id("Contact", contact_id),
            }
        },
    )
    assert activity.errors is None, activity.errors
    assert activity.data["createActivity"]["activity"]["body"] == body

    with raw(settings) as conn:
        user_emails = [r[0] for r in conn.execute("SELECT email_enc FROM app_user")]
    assert user_emails and all(isinstance(e, bytes) for e in user_emails)
    platform = await services.keyring.platform_cipher(services.db)
    emails = [platform.decrypt(e) for e in user_emails]
    assert all(e and "@" in e for e in emails)

    await services.db.dispose()
    checkpoint(settings)
    data = all_file_bytes(settings)
    assert f"Plain Co {tag}".encode() in data  # company names are not personal data
    for needle in (address, body, *emails):
        assert needle.encode() not in data, f"{needle!r} found in the raw database file"


async def test_email_lookup_works_through_the_blind_index(
    runner: Runner, tenant_a: TenantWorld
) -> None:
    values = canaries()
    contact_id = await create_contact(runner, tenant_a, values)
    await create_contact(runner, tenant_a, canaries() | {"email": "someone.else@example.com"})
    owner = tenant_a.principal(Role.OWNER)

    for spelling in (values["email"], values["email"].upper(), f"  {values['email']} "):
        result = await runner(owner, BY_EMAIL, {"email": spelling.strip()})
        assert result.errors is None, result.errors
        nodes = result.data["contacts"]["nodes"]
        assert [decode_id(n["id"])[1] for n in nodes] == [contact_id], spelling
        assert nodes[0]["email"] == values["email"]

    missing = await runner(owner, BY_EMAIL, {"email": "cnry-nobody@example.com"})
    assert missing.errors is None, missing.errors
    assert missing.data["contacts"]["totalCount"] == 0


async def test_the_same_email_has_different_blind_indexes_in_two_tenants(
    runner: Runner, settings: Settings, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    values = canaries()
    id_a = await create_contact(runner, tenant_a, values)
    id_b = await create_contact(runner, tenant_b, values)
    row_a, row_b = contact_row(settings, id_a), contact_row(settings, id_b)
    assert row_a["email_bidx"] != row_b["email_bidx"]
    assert row_a["email_enc"] != row_b["email_enc"]
    # Each tenant's lookup finds only its own contact.
    for world, own in ((tenant_a, id_a), (tenant_b, id_b)):
        result = await runner(world.principal(Role.OWNER), BY_EMAIL, {"email": values["email"]})
        assert result.errors is None, result.errors
        assert [decode_id(n["id"])[1] for n in result.data["contacts"]["nodes"]] == [own]


async def test_equal_values_encrypt_differently_each_time(
    runner: Runner, settings: Settings, tenant_a: TenantWorld
) -> None:
    """A fresh nonce per value: equal plaintexts are not linkable in the table (only the
    blind index, by design, is equal)."""
    values = canaries()
    first = contact_row(settings, await create_contact(runner, tenant_a, values))
    values["email"] = values["email"].replace("cnry-", "cnry2-")
    second = contact_row(settings, await create_contact(runner, tenant_a, values))
    for column in ("phone_enc", "address_enc", "date_of_birth_enc"):
        assert first[column] != second[column], column


async def test_ciphertext_copied_into_another_tenant_does_not_decrypt(
    services: Services,
    runner: Runner,
    settings: Settings,
    tenant_a: TenantWorld,
    tenant_b: TenantWorld,
) -> None:
    values_a = canaries()
    id_a = await create_contact(runner, tenant_a, values_a)
    id_b = await create_contact(runner, tenant_b, canaries())
    stolen = contact_row(settings, id_a)["notes_enc"]
    with raw(settings) as conn:
        conn.execute("UPDATE contact SET notes_enc = ? WHERE id = ?", (stolen, id_b.hex))
    assert contact_row(settings, id_b)["notes_enc"] == stolen

    async with services.db.session(tenant_b.tenant_id) as session:
        cipher_b = await services.keyring.cipher(session, tenant_b.tenant_id)
    async with services.db.session(tenant_a.tenant_id) as session:
        cipher_a = await services.keyring.cipher(session, tenant_a.tenant_id)
    assert cipher_a.decrypt(stolen) == values_a["notes"]  # still A's, for A
    with pytest.raises(InvalidTag):
        cipher_b.decrypt(stolen)

    # Through the API, tenant B never sees A's note (the read fails rather than leak).
    result = await runner(
        tenant_b.principal(Role.OWNER), "{ contacts(first: 10) { nodes { id notes } } }"
    )
    assert values_a["notes"] not in repr(result.data) + repr(result.errors)


def test_associated_data_binds_a_value_to_its_tenant_even_under_the_same_key() -> None:
    """The AAD alone (not just the different data keys) stops the copy."""
    key = new_data_key()
    owner_a, owner_b = uuid.uuid4(), uuid.uuid4()
    blob = TenantCipher(key, owner_a).encrypt("cnry-value")
    assert TenantCipher(key, owner_a).decrypt(blob) == "cnry-value"
    with pytest.raises(InvalidTag):
        TenantCipher(key, owner_b).decrypt(blob)
    # The index key is derived from the data key and is not the value key.
    cipher = TenantCipher(key, owner_a)
    assert cipher.blind_index("A@Example.com ") == cipher.blind_index("a@example.com")
    assert cipher.blind_index("a@example.com") != TenantCipher(new_data_key(), owner_a).blind_index(
        "a@example.com"
    )


async def test_crypto_shredding_leaves_only_unreadable_ciphertext(
    services: Services,
    runner: Runner,
    settings: Settings,
    tenant_a: TenantWorld,
    tenant_b: TenantWorld,
) -> None:
    values_a, values_b = canaries(), canaries()
    id_a = await create_contact(runner, tenant_a, values_a)
    id_b = await create_contact(runner, tenant_b, values_b)
    before = contact_row(settings, id_a)

    async with services.db.session(tenant_a.tenant_id) as session:
        await services.keyring.shred(session, tenant_a.tenant_id)
        await session.commit()

    # The ciphertext is still in the table, byte for byte; only the key is gone.
    after = contact_row(settings, id_a)
    for column in (*ENCRYPTED_COLUMNS, "email_bidx"):
        assert after[column] == before[column], column
    with raw(settings) as conn:
        keys = {r[0] for r in conn.execute("SELECT tenant_id FROM tenant_key")}
    assert tenant_a.tenant_id.hex not in keys
    assert tenant_b.tenant_id.hex in keys

    fresh = Services.from_settings(settings)
    try:
        async with fresh.db.session(tenant_a.tenant_id) as session:
            with pytest.raises(KeyUnavailableError):
                await fresh.keyring.cipher(session, tenant_a.tenant_id)
        # The process that shredded forgot the key as well (no cached copy).
        async with services.db.session(tenant_a.tenant_id) as session:
            with pytest.raises(KeyUnavailableError):
                await services.keyring.cipher(session, tenant_a.tenant_id)

        async with fresh.db.session(tenant_b.tenant_id) as session:
            cipher_b = await fresh.keyring.cipher(session, tenant_b.tenant_id)
        assert cipher_b.decrypt(contact_row(settings, id_b)["email_enc"]) == values_b["email"]
        with pytest.raises(InvalidTag):  # B's key is no use on A's ciphertext either
            cipher_b.decrypt(after["email_enc"])

        fresh_runner = Runner(fresh)
        result = await fresh_runner(
            tenant_b.principal(Role.OWNER), BY_EMAIL, {"email": values_b["email"]}
        )
        assert result.errors is None, result.errors
        assert result.data["contacts"]["nodes"][0]["email"] == values_b["email"]

        # Tenant A's members can no longer get at any of it through the API: the
        # request fails as a masked INTERNAL_SERVER_ERROR, with no data.
        shredded = await fresh_runner(
            tenant_a.principal(Role.OWNER), "{ contacts(first: 10) { nodes { email } } }"
        )
        assert shredded.data is None
        assert [e.extensions["code"] for e in shredded.errors] == ["INTERNAL_SERVER_ERROR"]
    finally:
        await fresh.close()
