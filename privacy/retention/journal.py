"""The retention journal: every erasure and purge action, written outside the database
so a restore from backup can re-apply them (policy section 5; issue 11).

A database backup brings back what was erased or purged after it was taken, and the
records of those actions with it are gone too. So each action is also appended, once
its transaction commits, to a JSON-lines file kept apart from the database
(LEDGERLINE_RETENTION_JOURNAL): the tenant, the rule, the action and the opaque ids it
touched (or the cutoff, for the usage log), never personal data. `ledgerline retention
reapply` replays it (privacy/retention/reapply.py); every action is idempotent.

Actions are noted on the session (`note`) and written by an `after_commit` listener,
so a rolled-back erasure is never journaled. A session without a journal path (tests,
the replay itself) notes nothing.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from models.base import utcnow

PATH_KEY = "retention_journal"
"""session.info key: the journal file of this session's database (None: none)."""
_PENDING = "retention_journal_pending"


@dataclass(frozen=True)
class Entry:
    tenant_id: uuid.UUID
    rule: str
    """A retention rule's name, or `erasure` for an erasure asked for by a person."""
    action: str
    """A key of privacy.retention.actions.ACTIONS."""
    ids: tuple[uuid.UUID, ...] = ()
    cutoff: datetime | None = None
    at: datetime = field(default_factory=utcnow)

    def to_json(self) -> str:
        return json.dumps(
            {
                "at": self.at.isoformat(),
                "tenant": str(self.tenant_id),
                "rule": self.rule,
                "action": self.action,
                "ids": [str(i) for i in self.ids],
                "cutoff": None if self.cutoff is None else self.cutoff.isoformat(),
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, line: str) -> Entry:
        data: dict[str, Any] = json.loads(line)
        return cls(
            tenant_id=uuid.UUID(data["tenant"]),
            rule=data["rule"],
            action=data["action"],
            ids=tuple(uuid.UUID(i) for i in data["ids"]),
            cutoff=None if data["cutoff"] is None else datetime.fromisoformat(data["cutoff"]),
            at=datetime.fromisoformat(data["at"]),
        )


def note(session: AsyncSession, entry: Entry) -> None:
    """Journal `entry` when (and only if) the session's transaction commits."""
    if session.info.get(PATH_KEY) is not None:
        session.info.setdefault(_PENDING, []).append(entry)


def append(path: Path, entries: list[Entry]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.writelines(entry.to_json() + "\n" for entry in entries)
        out.flush()
        os.fsync(out.fileno())


def read(path: Path) -> Iterator[Entry]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield Entry.from_json(line)


@event.listens_for(Session, "after_commit")
def _write_noted(session: Session) -> None:
    pending: list[Entry] = session.info.pop(_PENDING, [])
    path = session.info.get(PATH_KEY)
    if pending and path is not None:
        append(Path(path), pending)


@event.listens_for(Session, "after_rollback")
def _forget_noted(session: Session) -> None:
    session.info.pop(_PENDING, None)
