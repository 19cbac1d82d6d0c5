"""Erasure that is complete, provable and keeps the books (policy section 9; issue 10).

`erase_person` is the one way a contact is erased (eraseContact, an erasure request and
the retention purge of deleted contacts and inactive prospects all call it):

1. An active legal hold on the workspace, the contact or the contact's company refuses
   it (LEGAL_HOLD, privacy/holds.py); on a privacy request the refusal is recorded
   instead (`record_blocked`: an erasure record with outcome `blocked` and the hold's
   stated reason), so it is visible on the request.
2. The person's email address and phone number go on the suppression list
   (privacy/suppression.py) before they are erased.
3. privacy/consent.py `erase_contact` removes every personal column and shells every
   free text about them (the record stays as an anonymous shell: deals, amounts and
   counts survive); the person's export packages are deleted with them
   (privacy/export/storage.py `discard_exports_of`).
4. An erasure record says what was erased (the categories, from the data map), when,
   by whom, under which request and with which exceptions, and holds no personal data.

Erasing again is a no-op: the first record is the answer and nothing is written. The
audit trail names subjects by opaque id only (privacy/audit.py), so once the shell is
anonymous those ids lead to no one; the usage log records account holders, never
contacts.
"""

from __future__ import annotations

import enum
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.base import utcnow
from models.contacts import Contact
from models.erasure import ErasureRecord
from models.legal_holds import LegalHold
from privacy.consent import erase_contact
from privacy.crypto import TenantCipher
from privacy.data_map import DATA_MAP, Erasure, Subject
from privacy.export.storage import discard_exports_of
from privacy.holds import blocking_hold, hold_error
from privacy.suppression import suppress


class Outcome(enum.Enum):
    ERASED = "erased"
    BLOCKED = "blocked"


KEPT = (
    {
        "kind": "bookkeeping",
        "reason": "The record stays as an anonymous shell: deal amounts, currencies, stages "
        "and dates are kept for the books.",
    },
    {
        "kind": "accountability",
        "reason": "Consent and processing history are kept as evidence of compliance, "
        "their free text replaced by '[erased]'.",
    },
    {
        "kind": "suppression",
        "reason": "A keyed hash of the email address and phone number is kept so the "
        "person is not added again.",
    },
)
"""The exceptions every erasure applies (what is kept, and why)."""


def erased_categories() -> tuple[str, ...]:
    """The personal-data categories erasure removes from a contact's tables, read from
    the data map (every column whose erasure rule is NULL or SHELL)."""
    found = {
        column.category.name
        for table in DATA_MAP.values()
        if Subject.CONTACT in table.subjects
        for column in table.columns.values()
        if column.category is not None and column.erasure in (Erasure.NULL, Erasure.SHELL)
    }
    return tuple(sorted(found))


@dataclass(frozen=True)
class Erased:
    """The erasure's record, and whether this call did it (False: erased before)."""

    record: ErasureRecord
    performed: bool


async def erasure_of(session: AsyncSession, contact_id: uuid.UUID) -> ErasureRecord | None:
    """The record of the contact's erasure, if it was erased."""
    return (
        (
            await session.execute(
                select(ErasureRecord)
                .where(
                    col(ErasureRecord.contact_id) == contact_id,
                    col(ErasureRecord.outcome) == Outcome.ERASED.value,
                )
                .order_by(col(ErasureRecord.recorded_at))
                .limit(1)
            )
        )
        .scalars()
        .first()
    )


async def hold_on(session: AsyncSession, contact: Contact) -> LegalHold | None:
    """An active hold on the workspace, the contact, or the company they work for."""
    return await blocking_hold(
        session,
        contact_ids=[contact.id],
        company_ids=[contact.company_id] if contact.company_id else [],
    )


def _record(
    contact: Contact,
    *,
    outcome: str,
    actor: uuid.UUID | None,
    request_id: uuid.UUID | None,
    categories: tuple[str, ...],
    exceptions: list[dict[str, Any]],
) -> ErasureRecord:
    return ErasureRecord(
        tenant_id=contact.tenant_id,
        contact_id=contact.id,
        request_id=request_id,
        outcome=outcome,
        categories=",".join(categories),
        exceptions=json.dumps(exceptions, sort_keys=True),
        recorded_by=actor,
    )


async def record_blocked(
    session: AsyncSession,
    contact: Contact,
    hold: LegalHold,
    *,
    actor: uuid.UUID | None,
    request_id: uuid.UUID | None,
) -> ErasureRecord:
    """The erasure a hold blocked, with the hold's stated reason (never personal data)."""
    record = _record(
        contact,
        outcome=Outcome.BLOCKED.value,
        actor=actor,
        request_id=request_id,
        categories=(),
        exceptions=[{"kind": "legal_hold", "hold": str(hold.id), "reason": hold.reason}],
    )
    session.add(record)
    await session.flush()
    return record


async def erase_person(
    session: AsyncSession,
    cipher: TenantCipher,
    contact: Contact,
    *,
    actor: uuid.UUID | None,
    reason: str | None = None,
    request_id: uuid.UUID | None = None,
    suppress_person: bool = True,
    rule: str = "erasure",
) -> Erased:
    """Erase the contact (see the module docstring); LEGAL_HOLD under an active hold.
    `actor` None: the service itself (a deadline, e.g. privacy/minors.py, or the
    retention purge, privacy/retention/, which erases under its rule's name; a prospect
    erased for inactivity is not suppressed: they may come back)."""
    if contact.erased_at is not None:
        earlier = await erasure_of(session, contact.id)
        if earlier is not None:
            return Erased(earlier, performed=False)
    hold = await hold_on(session, contact)
    if hold is not None:
        raise hold_error(hold)
    record = _record(
        contact,
        outcome=Outcome.ERASED.value,
        actor=actor,
        request_id=request_id,
        categories=erased_categories(),
        exceptions=list(KEPT),
    )
    if suppress_person:
        await suppress(session, cipher, contact, record.id)
    if contact.erased_at is None:
        await erase_contact(session, contact, reason, actor, rule=rule)
    await discard_exports_of(session, contact_id=contact.id, now=utcnow())
    session.add(record)
    await session.flush()
    return Erased(record, performed=True)
