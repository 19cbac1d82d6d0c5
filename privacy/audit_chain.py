"""The tamper-evident audit log (policy section 8): each tenant's audit entries form a
hash chain.

Every `audit_event` gets the next position of its tenant's chain (`chain_seq`, from 1
without gaps) and `chain_hash` = HMAC-SHA256(audit key, previous hash, the entry's
columns, a digest of its `audit_subject` rows). The audit key is a platform secret
(`LEDGERLINE_AUDIT_KEY`) the database never sees, so whoever can write to the database
but not read the server's configuration cannot forge a link: changing, inserting or
removing an entry (or one of its subject rows) breaks the chain at that entry, and
removing the last entries is seen against `audit_chain_head`.

Writers take the tenant's head row first (PostgreSQL: `SELECT ... FOR UPDATE` after an
`INSERT ... ON CONFLICT DO NOTHING`; SQLite has one writer, and that INSERT takes its
write lock), so one tenant's entries are chained one transaction at a time, in the
order they commit. The write-behind read audit chains a whole flush batch under one
lock: an HMAC per request and a few bytes hashed per subject row.

Entries name ids, categories and purposes only (privacy/audit.py), so erasing a person
changes nothing here: the chain still verifies, and the opaque ids no longer lead to
anyone.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.audit import AuditChainHead, AuditEvent, AuditSubject
from models.base import utcnow

GENESIS = ""
"""The 'previous hash' of a tenant's first entry."""

EVENT_COLUMNS = (
    "id", "tenant_id", "actor_id", "actor_type", "action", "purposes", "request_id",
    "operation_name", "detail", "occurred_at", "app_client_id",
)  # fmt: skip
SUBJECT_COLUMNS = (
    "id", "subject_id", "actor_id", "categories_shown", "categories_redacted", "purposes",
    "occurred_at",
)  # fmt: skip


def _cell(value: Any) -> bytes:
    if value is None:
        return b"\x00"
    if isinstance(value, uuid.UUID):
        return value.bytes
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y%m%d%H%M%S%f").encode()
    return str(value).encode()


def _record(values: Iterable[Any]) -> bytes:
    """Cells with their lengths, so no two different records serialise alike."""
    parts = []
    for value in values:
        cell = _cell(value)
        parts.append(len(cell).to_bytes(4, "big") + cell)
    return b"".join(parts)


def subjects_digest(subjects: Iterable[Mapping[str, Any]]) -> bytes:
    """SHA-256 over an entry's subject rows in id order (the order the verifier reads)."""
    digest = hashlib.sha256()
    for row in sorted(subjects, key=lambda r: r["id"].bytes):
        digest.update(_record(row[c] for c in SUBJECT_COLUMNS))
    return digest.digest()


def link(key: bytes, previous: str, seq: int, event: Mapping[str, Any], digest: bytes) -> str:
    """The entry's `chain_hash`: what it says, where it stands and what came before."""
    message = _record((previous, seq, *(event[c] for c in EVENT_COLUMNS))) + digest
    return hmac.new(key, message, hashlib.sha256).hexdigest()


# --- writing -----------------------------------------------------------------------------


async def _lock_head(session: AsyncSession, tenant_id: uuid.UUID) -> tuple[int, str]:
    postgres = session.bind is not None and session.bind.dialect.name == "postgresql"
    insert = pg_insert if postgres else sqlite_insert
    await session.execute(
        insert(AuditChainHead)
        .values(tenant_id=tenant_id, seq=0, hash=GENESIS, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["tenant_id"])
    )
    row = (
        await session.execute(
            select(col(AuditChainHead.seq), col(AuditChainHead.hash))
            .where(col(AuditChainHead.tenant_id) == tenant_id)
            .with_for_update()
        )
    ).one()
    return int(row.seq), str(row.hash)


async def chain_events(
    session: AsyncSession,
    key: bytes,
    tenant_id: uuid.UUID,
    events: Sequence[dict[str, Any]],
    subjects: Iterable[Mapping[str, Any]] = (),
) -> None:
    """Give `events` (rows about to be inserted, in order) their place in the tenant's
    chain and move its head; in the caller's transaction, which holds the head's lock
    until it commits."""
    by_event: dict[uuid.UUID, list[Mapping[str, Any]]] = {}
    for row in subjects:
        by_event.setdefault(row["event_id"], []).append(row)
    seq, previous = await _lock_head(session, tenant_id)
    for event in events:
        seq += 1
        event["chain_seq"] = seq
        previous = event["chain_hash"] = link(
            key, previous, seq, event, subjects_digest(by_event.get(event["id"], ()))
        )
    await session.execute(
        update(AuditChainHead)
        .where(col(AuditChainHead.tenant_id) == tenant_id)
        .values(seq=seq, hash=previous, updated_at=utcnow())
    )


# --- verifying ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    verified: bool
    entries: int
    """Chained entries read."""
    first_broken: int | None = None
    """The chain position of the first entry that does not verify (a missing entry's
    position when one was removed)."""
    reason: str | None = None


_SUBJECT_SELECT = tuple(getattr(AuditSubject, c) for c in SUBJECT_COLUMNS)


async def verify_chain(session: AsyncSession, key: bytes, tenant_id: uuid.UUID) -> ChainReport:
    """Recompute the tenant's chain from its first entry; the first broken link, if any.

    One streamed statement: each entry with its subject rows (a left join, in chain and
    id order); the session must be scoped to the tenant (row-level security on
    PostgreSQL)."""
    statement = (
        select(
            *(getattr(AuditEvent, c) for c in (*EVENT_COLUMNS, "chain_seq", "chain_hash")),
            *(c.label(f"s_{c.key}") for c in _SUBJECT_SELECT),
        )  # fmt: skip
        .outerjoin(
            AuditSubject,
            (col(AuditSubject.event_id) == AuditEvent.id)
            & (col(AuditSubject.tenant_id) == AuditEvent.tenant_id),
        )
        .where(col(AuditEvent.tenant_id) == tenant_id, col(AuditEvent.chain_seq).is_not(None))
        .order_by(col(AuditEvent.chain_seq), col(AuditSubject.id))
    )
    previous, expected, entries = GENESIS, 1, 0
    current: dict[str, Any] | None = None
    subjects: list[dict[str, Any]] = []

    def close() -> ChainReport | None:
        nonlocal previous, expected, entries
        assert current is not None
        seq = current["chain_seq"]
        if seq != expected:
            return ChainReport(False, entries, expected, "an entry is missing")
        recomputed = link(key, previous, seq, current, subjects_digest(subjects))
        if not hmac.compare_digest(recomputed, current["chain_hash"] or ""):
            return ChainReport(False, entries, seq, "the entry or its subjects were altered")
        previous, expected, entries = recomputed, expected + 1, entries + 1
        return None

    result = await session.stream(statement)
    async for row in result.mappings():
        if current is None or row["chain_seq"] != current["chain_seq"]:
            if current is not None and (broken := close()) is not None:
                await result.close()
                return broken
            current = {c: row[c] for c in (*EVENT_COLUMNS, "chain_seq", "chain_hash")}
            subjects = []
        if row["s_id"] is not None:
            subjects.append({c: row[f"s_{c}"] for c in SUBJECT_COLUMNS})
    if current is not None and (broken := close()) is not None:
        return broken
    head = (
        await session.execute(
            select(col(AuditChainHead.seq), col(AuditChainHead.hash)).where(
                col(AuditChainHead.tenant_id) == tenant_id
            )
        )
    ).one_or_none()
    head_seq, head_hash = (0, GENESIS) if head is None else (int(head.seq), str(head.hash))
    if head_seq != entries or not hmac.compare_digest(head_hash, previous):
        return ChainReport(False, entries, entries + 1, "the last entries are missing")
    if await _unchained_entries(session, tenant_id):
        return ChainReport(False, entries, None, "an entry was written outside the chain")
    return ChainReport(True, entries)


async def _unchained_entries(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    """Entries without a place in the chain written since it began (older ones predate
    migration 0016 and are not chained)."""
    tenant = col(AuditEvent.tenant_id) == tenant_id
    began = await session.scalar(
        select(func.min(col(AuditEvent.occurred_at))).where(
            tenant, col(AuditEvent.chain_seq).is_not(None)
        )
    )
    if began is None:
        return 0
    count = await session.scalar(
        select(func.count(col(AuditEvent.id))).where(
            tenant, col(AuditEvent.chain_seq).is_(None), col(AuditEvent.occurred_at) >= began
        )
    )
    return int(count or 0)
