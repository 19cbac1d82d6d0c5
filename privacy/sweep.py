"""The canary sweep (policy section 9; issue 10): proof that an erasure left nothing.

`seed_canary` writes one unique marker into every text column of a contact, of the
activities about them (linked to them, and linked only to their deal) and of their
deal, and into their consent and restriction history; `search` then looks for the
marker below the application:

- SQLite: after a checkpoint that empties the WAL, the raw bytes of the database file
  and of its WAL (free pages included; models/db.py turns `secure_delete` on so freed
  content is zeroed), and every table's rows;
- PostgreSQL: every table, each row cast to text (bytea as hex, so the marker's bytes
  are looked for in hex too), as the owner;
- files: every file under the given directories (the logs, the export directory),
  ZIP members opened.

A hit names the place (a table, a file), never the value around it. Text columns are
found from the models (every String column long enough to hold a marker; the `_enc`
columns get the marker encrypted), so a column added later is swept without a change
here.
"""

from __future__ import annotations

import secrets
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import LargeBinary, String, Table, or_, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlmodel import SQLModel

from core.services import Services
from models.activities import Activity
from models.contacts import Contact
from models.db import make_engine
from models.deals import Deal
from models.tenancy import PLATFORM_KEY_ID
from privacy.consent import ConsentRecord, append_consent, set_restriction
from privacy.crypto import TenantCipher
from privacy.purposes import Purpose

MIN_TEXT = 40
"""Shorter String columns are codes (stage, kind, currency, country), not free text."""
CHUNK = 1 << 20


def new_marker() -> str:
    return f"cnry-{secrets.token_hex(8)}"


@dataclass(frozen=True)
class Hit:
    place: str
    """'table <name>', 'file <path>' or 'file <zip>!<member>'."""


def _is_text(kind: Any) -> bool:
    """String columns, also behind a TypeDecorator (sqlmodel's AutoString)."""
    return isinstance(kind, String) or isinstance(getattr(kind, "impl", None), String)


def marked(model: type[SQLModel], marker: str, cipher: TenantCipher) -> dict[str, Any]:
    """A value carrying the marker for each free-text and encrypted column of `model`."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    values: dict[str, Any] = {}
    for column in table.columns:
        if _is_text(column.type) and (getattr(column.type, "length", 0) or 0) >= MIN_TEXT:
            values[column.name] = f"{marker} {column.name}"
        elif isinstance(column.type, LargeBinary) and column.name.endswith("_enc"):
            values[column.name] = cipher.encrypt(f"{marker} {column.name}")
    return values


async def seed_canary(session: AsyncSession, cipher: TenantCipher, marker: str) -> Contact:
    """A contact and everything written about them, each text carrying `marker`."""
    email = f"{marker}@example.com"
    values = marked(Contact, marker, cipher) | {
        "email_enc": cipher.encrypt(email),
        "email_bidx": cipher.blind_index(email),
    }
    contact = Contact(**values)  # tenant_id: stamped at flush
    session.add(contact)
    await session.flush()
    deal = Deal(**marked(Deal, marker, cipher), primary_contact_id=contact.id)
    session.add(deal)
    await session.flush()
    links: list[dict[str, Any]] = [{"contact_id": contact.id}, {"deal_id": deal.id}]
    for link in links:
        values = marked(Activity, marker, cipher) | link
        session.add(Activity(kind="note", subject_contact_id=contact.id, **values))
    record = ConsentRecord(
        Purpose.MARKETING, "granted", source=f"{marker} form", evidence=f"{marker} proof"
    )
    await append_consent(session, contact.id, record, None)
    await set_restriction(session, contact, True, f"{marker} reason", None)
    await session.flush()
    return contact


def _needles(marker: str) -> list[bytes]:
    return [marker.encode(), marker.encode("utf-16-le")]


def _chunks(path: Path, overlap: int) -> Iterator[bytes]:
    with path.open("rb") as handle:
        tail = b""
        while block := handle.read(CHUNK):
            yield tail + block
            tail = block[-overlap:]


def file_has(path: Path, marker: str) -> bool:
    needles = _needles(marker)
    overlap = max(len(n) for n in needles)
    return any(n in chunk for chunk in _chunks(path, overlap) for n in needles)


def search_files(roots: Iterable[Path], marker: str) -> list[Hit]:
    hits: list[Hit] = []
    needles = _needles(marker)
    for root in roots:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            if file_has(path, marker):
                hits.append(Hit(f"file {path}"))
            if zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as archive:
                    for member in archive.namelist():
                        content = archive.read(member)
                        if any(n in content for n in needles):
                            hits.append(Hit(f"file {path}!{member}"))
    return hits


def _sqlite_condition(table: Table, marker: str) -> Any:
    needle = marker.encode()
    return or_(
        *(
            text(f'instr(CAST("{c.name}" AS BLOB), :needle) > 0').bindparams(needle=needle)
            for c in table.columns
        )
    )


async def _sqlite_tables(conn: AsyncConnection, marker: str) -> list[Hit]:
    hits = []
    for table in SQLModel.metadata.sorted_tables:
        query = table.select().with_only_columns(table.c[0]).where(_sqlite_condition(table, marker))
        if (await conn.execute(query.limit(1))).first() is not None:
            hits.append(Hit(f"table {table.name}"))
    return hits


async def _postgres_tables(conn: AsyncConnection, marker: str) -> list[Hit]:
    bypass = (
        await conn.execute(
            text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
        )
    ).scalar()
    scopes: list[str] = [""]
    if not bypass:  # FORCE row-level security binds the owner too: look tenant by tenant
        tenants = (await conn.execute(text("SELECT id FROM tenant"))).scalars().all()
        scopes += [str(t) for t in tenants] + [str(PLATFORM_KEY_ID)]
    patterns = {"plain": f"%{marker}%", "hex": f"%{marker.encode().hex()}%"}
    found: set[str] = set()
    for scope in scopes:
        await conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": scope})
        for table in SQLModel.metadata.sorted_tables:
            query = text(
                f'SELECT 1 FROM "{table.name}" AS r '  # noqa: S608  (names from the metadata)
                "WHERE r::text LIKE :plain OR r::text LIKE :hex LIMIT 1"
            )
            if (await conn.execute(query, patterns)).first() is not None:
                found.add(table.name)
    return [Hit(f"table {name}") for name in sorted(found)]


def sqlite_files(url: str) -> list[Path]:
    database = make_url(url).database
    if not database or database == ":memory:":
        return []
    main = Path(database)
    return [p for p in (main, Path(f"{main}-wal")) if p.exists()]


async def search_database(services: Services, marker: str) -> list[Hit]:
    """Every table, and on SQLite the raw file and WAL after a checkpoint."""
    from privacy.offboarding import checkpoint

    if services.db.is_postgres:
        engine = make_engine(services.db.owner_url, pool_size=1, max_overflow=0)
        try:
            async with engine.begin() as conn:
                return await _postgres_tables(conn, marker)
        finally:
            await engine.dispose()
    await checkpoint(services)
    async with services.db.engine.connect() as conn:
        hits = await _sqlite_tables(conn, marker)
    return hits + [Hit(f"file {p}") for p in sqlite_files(services.db.url) if file_has(p, marker)]


def default_roots(services: Services) -> list[Path]:
    """The directories the service writes files to: logs and exports, where present."""
    settings = services.settings
    return [p for p in (settings.data_dir / "logs", settings.export_dir) if p.exists()]


async def search(services: Services, marker: str, roots: Iterable[Path] = ()) -> list[Hit]:
    """Everywhere the marker could remain: the database and the given directories."""
    return await search_database(services, marker) + search_files(
        [*default_roots(services), *roots], marker
    )


async def canary(services: Services, tenant_id: uuid.UUID, marker: str) -> list[Hit]:
    """Seed a canary in the tenant, erase it (privacy/erasure.py), and search."""
    from privacy.erasure import erase_person

    async with services.db.session(tenant_id) as session:
        cipher = await services.keyring.cipher(session, tenant_id)
        contact = await seed_canary(session, cipher, marker)
        await erase_person(session, cipher, contact, actor=None, reason="canary sweep")
        await session.commit()
    return await search(services, marker)
