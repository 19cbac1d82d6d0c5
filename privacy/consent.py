"""Recording consent, objections, restriction and erasure (policy sections 3 and 9).

Every change appends to a history (`consent_event`, `processing_event`) and updates
the derived current state in the same transaction; nothing is overwritten. The next
request reads the new state (privacy/subject_state.py loads it fresh each time).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from auth.permissions import Permission
from models.activities import Activity
from models.base import utcnow
from models.consent import ConsentEvent, ConsentState, ProcessingEvent
from models.contacts import Contact
from models.deals import Deal
from privacy.purposes import PURPOSES, LawfulBasis, Purpose
from privacy.retention.journal import Entry, note


@dataclass(frozen=True)
class ConsentRecord:
    purpose: Purpose
    status: str  # granted | withdrawn | objected | objection_withdrawn
    lawful_basis: LawfulBasis | None = None
    source: str | None = None
    method: str | None = None
    policy_version: str | None = None
    evidence: str | None = None


def objected_after(objected: bool, status: str) -> bool:
    """Whether the person objects once a change of `status` is folded in: an objection
    stands until it is withdrawn (contacts and account holders alike)."""
    if status == "objected":
        return True
    if status == "objection_withdrawn":
        return False
    return objected


def derive_state(events: list[ConsentEvent]) -> tuple[str | None, str | None, bool]:
    """Fold a (time-ordered) history into (status, lawful basis, objected)."""
    status: str | None = None
    basis: str | None = None
    objected = False
    for event in events:
        if event.status in ("granted", "withdrawn"):
            status = event.status
            basis = event.lawful_basis or basis
        objected = objected_after(objected, event.status)
    return status, basis, objected


def default_basis(purpose: Purpose) -> LawfulBasis:
    rule = PURPOSES[purpose]
    if rule.requires_consent or rule.default_basis is None:  # None: consent needed
        return LawfulBasis.CONSENT
    return rule.default_basis


WIDENING = frozenset({"granted", "objection_withdrawn"})
"""Changes that widen what may be done with the person's data."""


def may_record(
    record: ConsentRecord,
    *,
    permissions: frozenset[Permission],
    role_purposes: tuple[Purpose, ...],
) -> bool:
    """Who may record which change (the field itself already requires CONSENT_WRITE).

    - A grant for a purpose the caller's role acts under (any of them, not only the
      request's declared one) needs PRIVACY_ADMIN: the role that benefits never grants
      itself consent (marketing cannot record marketing or analytics consent; sales may
      record a person's marketing consent, marketing their sales consent; owner and
      admin record any, as the people who answer for it).
    - Withdrawing an objection comes from the person, through a privacy request, and is
      recorded by PRIVACY_ADMIN only.
    - A withdrawal or an objection only narrows what may be done: anyone who may write
      consent records it.
    """
    if Permission.PRIVACY_ADMIN in permissions:
        return True
    if record.status == "objection_withdrawn":
        return False
    return not (record.status == "granted" and record.purpose in role_purposes)


def missing_evidence(record: ConsentRecord) -> str | None:
    """The first field a widening change lacks (a grant: `source` and `evidence`, e.g.
    the form and the signed document it came from; an objection withdrawn: `evidence`,
    the person's request), or None."""
    if record.status == "granted" and not record.source:
        return "source"
    if record.status in WIDENING and not record.evidence:
        return "evidence"
    return None


async def append_consent(
    session: AsyncSession, contact_id: uuid.UUID, record: ConsentRecord, actor: uuid.UUID | None
) -> ConsentEvent:
    basis = record.lawful_basis
    if record.status == "granted" and basis is None:
        basis = default_basis(record.purpose)
    # tenant_id: stamped at flush by the tenant guard (models/tenant_guard.py).
    event = ConsentEvent(  # type: ignore[call-arg]
        contact_id=contact_id,
        purpose=record.purpose.value,
        status=record.status,
        lawful_basis=basis.value if basis else None,
        source=record.source,
        method=record.method,
        policy_version=record.policy_version,
        evidence=record.evidence,
        recorded_by=actor,
    )
    session.add(event)
    current = (
        await session.execute(
            select(ConsentState).where(
                col(ConsentState.contact_id) == contact_id,
                col(ConsentState.purpose) == record.purpose.value,
            )
        )
    ).scalar_one_or_none()
    if current is None:
        current = ConsentState(  # type: ignore[call-arg]  # tenant_id: stamped at flush
            contact_id=contact_id, purpose=record.purpose.value
        )
        session.add(current)
    if record.status in ("granted", "withdrawn"):
        current.status = record.status
        current.lawful_basis = event.lawful_basis or current.lawful_basis
    elif record.status == "objected":
        current.objected = True
    elif record.status == "objection_withdrawn":
        current.objected = False
    current.updated_at = utcnow()
    await session.flush()
    return event


async def set_restriction(
    session: AsyncSession,
    contact: Contact,
    restricted: bool,
    reason: str | None,
    actor: uuid.UUID | None,
    informed_at: datetime | None = None,
) -> None:
    """Restrict, or lift a restriction (`informed_at`: when the person was told)."""
    contact.restricted = restricted
    contact.updated_at = utcnow()
    session.add(
        ProcessingEvent(
            tenant_id=contact.tenant_id,
            contact_id=contact.id,
            kind="restricted" if restricted else "restriction_lifted",
            reason=reason,
            recorded_by=actor,
            subject_informed_at=informed_at,
        )
    )
    await session.flush()


PERSONAL_COLUMNS = (
    "first_name", "last_name", "email_enc", "email_bidx", "phone_enc", "job_title_enc",
    "address_enc", "city_enc", "country_enc", "date_of_birth_enc", "notes_enc", "source",
)  # fmt: skip
ERASED_TEXT = "[erased]"
"""The shell value left in required or historical free text once its person is erased."""


def _shell(column: Any) -> Any:
    """'[erased]' where there was text, NULL where there was none."""
    return case((column.is_(None), None), else_=ERASED_TEXT)


async def _erase_consent_text(session: AsyncSession, contact_id: uuid.UUID) -> None:
    """`source` and `evidence` of the person's consent history. The history is
    append-only at the database (migrations 0002 and 0009): on PostgreSQL the one
    permitted change goes through the narrow SECURITY DEFINER function of migration
    0005; on SQLite the trigger of 0009 lets through exactly this update."""
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        await session.execute(select(func.erase_consent_event_text(contact_id)))
        return
    await session.execute(
        update(ConsentEvent)
        .where(col(ConsentEvent.contact_id) == contact_id)
        .values(source=_shell(ConsentEvent.source), evidence=_shell(ConsentEvent.evidence))
    )


async def _erase_processing_reasons(session: AsyncSession, contact_id: uuid.UUID) -> None:
    """The reasons given for the person's earlier restrictions. `processing_event` is
    append-only at the database (migration 0009): on PostgreSQL the change goes through
    the SECURITY DEFINER function of that migration; on SQLite its trigger lets through
    exactly this update (text to '[erased]', for an erased contact) and nothing else."""
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        await session.execute(select(func.erase_processing_event_reason(contact_id)))
        return
    await session.execute(
        update(ProcessingEvent)
        .where(
            col(ProcessingEvent.contact_id) == contact_id, col(ProcessingEvent.reason).is_not(None)
        )
        .values(reason=ERASED_TEXT)
    )


async def erase_contact(
    session: AsyncSession,
    contact: Contact,
    reason: str | None,
    actor: uuid.UUID | None,
    *,
    rule: str = "erasure",
) -> None:
    """Right to erasure: personal data gone, the record kept as an anonymous shell so
    deals and totals survive.

    Every free text attached to the person goes in the same transaction: their own
    columns; the titles of the deals they are the primary contact of; the subject and
    body of every activity about them (recorded subject), linked to them, or linked to
    one of their deals; the source and evidence of their consent history and the
    reasons given for earlier restrictions. The activities, deals and histories stay,
    with '[erased]' in required or historical text.

    The erasure is also journaled outside the database once it commits (`rule`: why,
    a retention rule's name or a person's `erasure`), so a restore from backup can
    re-apply it (privacy/retention/journal.py). `actor` is None for the purge."""
    now = utcnow()
    for column in PERSONAL_COLUMNS:
        setattr(contact, column, None)
    contact.erased_at = now
    contact.updated_at = now
    await session.flush()  # erased_at is what the consent-text function checks
    their_deals = select(col(Deal.id)).where(col(Deal.primary_contact_id) == contact.id)
    await session.execute(
        update(Activity)
        .where(
            or_(
                col(Activity.subject_contact_id) == contact.id,
                col(Activity.contact_id) == contact.id,
                col(Activity.deal_id).in_(their_deals),
            )
        )
        .values(subject_enc=None, body_enc=None, updated_at=now)
    )
    await session.execute(
        update(Deal)
        .where(col(Deal.primary_contact_id) == contact.id)
        .values(title_enc=None, updated_at=now)
    )
    await _erase_processing_reasons(session, contact.id)
    await _erase_consent_text(session, contact.id)
    session.add(
        ProcessingEvent(
            tenant_id=contact.tenant_id,
            contact_id=contact.id,
            kind="erased",
            reason=reason,
            recorded_by=actor,
        )
    )
    await session.flush()
    note(session, Entry(contact.tenant_id, rule, "erase_contacts", (contact.id,)))
