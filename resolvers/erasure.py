"""Erasure in the API (policy section 9; issue 10): eraseContact, erasing the subject
of a privacy request, the erasure records and lifting a suppression (deleteContact
moves a contact to the trash; the purge erases it later, privacy/retention/).

The work is privacy/erasure.py `erase_person`; here are the loading, the audit and the
link to the privacy request. A hold makes eraseContact (and deleteContact) answer
LEGAL_HOLD (nothing is written); on a privacy request it is recorded instead, as a
blocked erasure record the admin sees on the request, and the request stays open.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from core.context import RequestContext
from core.errors import AppError, Code, bad_input
from models import Contact, ErasureRecord
from models.base import utcnow
from privacy import erasure_audit as audit
from privacy import request_audit
from privacy.erasure import Erased, Outcome, erase_person, hold_on, record_blocked
from privacy.request_rules import (
    RequestKind,
    RequestStatus,
    TransitionRefused,
    Verification,
    after_complete,
)
from privacy.suppression import lift
from privacy.webhooks.events import EventType
from resolvers import webhooks
from resolvers.global_ids import encode_id, try_decode
from resolvers.privacy_requests import TYPE_NAME as REQUEST_TYPE
from resolvers.privacy_requests import _load as load_request


@dataclass
class ErasureException:
    kind: str
    reason: str
    hold_id: uuid.UUID | None = None

    @property
    def hold(self) -> str | None:
        return encode_id("LegalHold", self.hold_id) if self.hold_id else None


@dataclass
class ErasureRecordRow:
    id: uuid.UUID
    contact_id: uuid.UUID
    request_id: uuid.UUID | None
    outcome: Outcome
    categories: list[str]
    exceptions: list[ErasureException]
    recorded_by_id: uuid.UUID | None
    recorded_at: datetime

    @property
    def gid(self) -> str:
        return encode_id("ErasureRecord", self.id)

    @property
    def contact(self) -> str:
        return encode_id("Contact", self.contact_id)

    @property
    def request(self) -> str | None:
        return encode_id(REQUEST_TYPE, self.request_id) if self.request_id else None

    @property
    def recorded_by(self) -> str | None:
        return encode_id("Member", self.recorded_by_id) if self.recorded_by_id else None


def to_row(record: ErasureRecord) -> ErasureRecordRow:
    exceptions: list[dict[str, Any]] = json.loads(record.exceptions)
    return ErasureRecordRow(
        id=record.id,
        contact_id=record.contact_id,
        request_id=record.request_id,
        outcome=Outcome(record.outcome),
        categories=[c for c in record.categories.split(",") if c],
        exceptions=[
            ErasureException(
                e["kind"], e["reason"], uuid.UUID(e["hold"]) if e.get("hold") else None
            )
            for e in exceptions
        ],
        recorded_by_id=record.recorded_by,
        recorded_at=record.recorded_at,
    )


async def _contact(ctx: RequestContext, contact_id: uuid.UUID | None) -> Contact | None:
    if contact_id is None:
        return None
    return (
        await ctx.db.execute(select(Contact).where(col(Contact.id) == contact_id))
    ).scalar_one_or_none()


async def load_contact(ctx: RequestContext, global_id: str) -> Contact:
    """The contact in the caller's tenant, or NOT_FOUND (another tenant's answers the same)."""
    found = await _contact(ctx, try_decode(global_id, "Contact"))
    if found is None:
        raise AppError(Code.NOT_FOUND, "No contact with this id.", field="contact")
    return found


async def erase(
    ctx: RequestContext, contact: Contact, reason: str | None, request_id: uuid.UUID | None = None
) -> Erased:
    """Erase (once) and audit; LEGAL_HOLD under an active hold."""
    erased = await erase_person(
        ctx.db,
        ctx.require_cipher(),
        contact,
        actor=ctx.require_principal().user_id,
        reason=reason,
        request_id=request_id,
    )
    if erased.performed:
        audit.contact_erased(
            ctx.audit, contact_id=contact.id, erasure_id=erased.record.id, request_id=request_id
        )
        await webhooks.contact_event(ctx, EventType.CONTACT_ERASED, contact.id)
    return erased


async def erase_for_request(ctx: RequestContext, request: str) -> ErasureRecordRow:
    """Carry out a verified, open erasure request about a contact. Done: the request is
    completed with the erasure record as its evidence. Blocked by a hold: a blocked
    record states the hold's reason and the request stays open."""
    found = await load_request(ctx, request)
    if found.kind != RequestKind.ERASURE.value:
        raise bad_input("This request is not an erasure request.", "request")
    try:
        status = after_complete(RequestStatus(found.status), Verification(found.verification))
    except TransitionRefused as exc:
        raise AppError(Code(exc.code), str(exc), field="request") from exc
    contact = await _contact(ctx, found.contact_id)
    if contact is None:
        raise bad_input("This request names no contact of this workspace to erase.", "request")
    hold = await hold_on(ctx.db, contact) if contact.erased_at is None else None
    if hold is not None:
        blocked = await record_blocked(
            ctx.db, contact, hold, actor=ctx.require_principal().user_id, request_id=found.id
        )
        audit.erasure_blocked(
            ctx.audit,
            contact_id=contact.id,
            erasure_id=blocked.id,
            hold_id=hold.id,
            request_id=found.id,
        )
        return to_row(blocked)
    erased = await erase(ctx, contact, f"privacy request {found.id}", found.id)
    now = utcnow()
    found.status = status.value
    found.completed_at = now
    found.completion_evidence = f"erasure record {encode_id('ErasureRecord', erased.record.id)}"
    found.updated_at = now
    await ctx.db.flush()
    request_audit.privacy_request_completed(ctx.audit, request_id=found.id)
    return to_row(erased.record)


async def records(
    ctx: RequestContext, contact: str | None, request: str | None
) -> list[ErasureRecordRow]:
    """Erasure records, newest first, of one contact and/or one request (or all)."""
    return await records_for(
        ctx,
        contact_id=try_decode(contact, "Contact") if contact is not None else None,
        request_id=try_decode(request, REQUEST_TYPE) if request is not None else None,
        any_contact=contact is None,
        any_request=request is None,
    )


async def records_for(
    ctx: RequestContext,
    *,
    contact_id: uuid.UUID | None = None,
    request_id: uuid.UUID | None = None,
    any_contact: bool = True,
    any_request: bool = True,
) -> list[ErasureRecordRow]:
    """By id; an id that did not decode (None, not `any_...`) matches nothing."""
    query = select(ErasureRecord)
    if not any_contact:
        query = query.where(col(ErasureRecord.contact_id) == contact_id)
    if not any_request:
        query = query.where(col(ErasureRecord.request_id) == request_id)
    found = (await ctx.db.execute(query.order_by(col(ErasureRecord.recorded_at).desc()))).scalars()
    return [to_row(r) for r in found]


@dataclass
class Lifted:
    contact_id: uuid.UUID
    entries: int

    @property
    def contact(self) -> str:
        return encode_id("Contact", self.contact_id)


async def lift_suppression(ctx: RequestContext, request: str) -> Lifted:
    found = await load_request(ctx, request)
    contact_id, entries = await lift(ctx.db, found, ctx.require_principal().user_id)
    audit.suppression_lifted(ctx.audit, contact_id=contact_id, request_id=found.id, entries=entries)
    return Lifted(contact_id, entries)
