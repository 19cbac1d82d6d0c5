"""Children's privacy (policy section 10): the service is not for anyone under 18, and a
minor's data is deleted promptly once it becomes known.

- A contact whose date of birth shows an age under 18 is flagged when it is written
  (`flag_time`), and anyone in the tenant may report a contact as a minor
  (`reportMinor`). The flag keeps its first time.
- The personal data of a flagged contact is erased within `DELETION_DEADLINE` of the
  flag by the purge (`purge_flagged_minors`), or at once by an admin
  (`deleteMinorData`): the one erasure (privacy/erasure.py `erase_person`), so the
  record stays as an anonymous shell, an erasure record proves it, and a legal hold
  keeps it (the purge skips a held contact until the hold is released).
- An account holder reported as a minor is suspended in that tenant (membership
  `minor_suspended_at`): no sign-in, no token, no cookie, until an admin resolves the
  report. One tenant's admins cannot lock a person out of another tenant.

Every step is audited with opaque ids only (the functions at the end), never a date
of birth or a name.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from auth.accounts import is_adult
from models.contacts import Contact
from models.tenant_guard import INCLUDE_TRASHED
from privacy.audit import AuditBuffer
from privacy.crypto import TenantCipher
from privacy.erasure import erase_person
from privacy.holds import active_holds

DELETION_DEADLINE = timedelta(days=7)
"""A flagged contact's personal data is erased at the latest this long after the flag."""
DELETION_REASON = "under 18 (policy section 10)"
"""The reason recorded on the erasure."""


def flag_time(born: date | None, now: datetime) -> datetime | None:
    """When a written date of birth flags its contact: `now` for an age under 18."""
    if born is None or is_adult(born, now.date()):
        return None
    return now


def deletion_due(flagged_at: datetime) -> datetime:
    return flagged_at + DELETION_DEADLINE


async def purge_flagged_minors(
    session: AsyncSession,
    *,
    now: datetime,
    dry_run: bool,
    cipher: TenantCipher,
    audit: AuditBuffer,
) -> int:
    """Erase every contact of the session's tenant flagged as a minor at least
    `DELETION_DEADLINE` before `now` and not erased yet; contacts under a legal hold are
    skipped (and counted nowhere). Returns how many were (dry run: would be) erased.
    Idempotent: an erased contact is never due again. The caller commits, and flushes
    `audit` in the same transaction (with the tenant's `cipher` for the suppression
    list)."""
    due = (
        (
            await session.execute(
                select(Contact)
                .where(
                    col(Contact.minor_flagged_at) <= now - DELETION_DEADLINE,
                    col(Contact.erased_at).is_(None),
                )
                .execution_options(**{INCLUDE_TRASHED: True})  # the trash too: 7 days max
            )
        )
        .scalars()
        .all()
    )
    holds = await active_holds(session)
    due = [c for c in due if not holds.covers(contact_id=c.id, company_id=c.company_id)]
    if dry_run:
        return len(due)
    for contact in due:
        erased = await erase_person(session, cipher, contact, actor=None, reason=DELETION_REASON)
        minor_data_deleted(audit, contact_id=contact.id, erasure_id=erased.record.id, by="deadline")
    return len(due)


# --- audit: one keyword-only function per event; ids only -------------------------------


def minor_flagged(buffer: AuditBuffer, *, contact_id: uuid.UUID, source: str) -> None:
    """`source`: `date_of_birth` (written) or `report` (reportMinor)."""
    buffer.record("minor_flagged", f"contact {contact_id} source {source}")


def minor_data_deleted(
    buffer: AuditBuffer, *, contact_id: uuid.UUID, erasure_id: uuid.UUID, by: str
) -> None:
    """`by`: `admin` (deleteMinorData) or `deadline` (the purge)."""
    buffer.record("minor_data_deleted", f"contact {contact_id} erasure {erasure_id} by {by}")


def minor_account_reported(buffer: AuditBuffer, *, user_id: uuid.UUID) -> None:
    buffer.record("minor_account_reported", f"member {user_id} suspended")


def minor_report_resolved(buffer: AuditBuffer, *, user_id: uuid.UUID) -> None:
    buffer.record("minor_report_resolved", f"member {user_id} reinstated")
