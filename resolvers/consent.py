"""Consent, objection and restriction: reading history and recording changes."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from sqlalchemy import select
from sqlmodel import col

from core.context import RequestContext
from core.errors import bad_input, forbidden
from models import ConsentEvent, ConsentState
from models.base import utcnow
from privacy import audit
from privacy import consent as service
from privacy.webhooks.events import EventType
from resolvers import erasure, validation, webhooks
from resolvers.contacts import load_contact_model, reload_contact
from resolvers.rows import ContactRow


async def current_consents(
    info: strawberry.Info[RequestContext, None], contact_id: uuid.UUID
) -> list[ConsentState]:
    result = await info.context.db.execute(
        select(ConsentState)
        .where(col(ConsentState.contact_id) == contact_id)
        .order_by(col(ConsentState.purpose))
    )
    return list(result.scalars())


async def consent_history(
    info: strawberry.Info[RequestContext, None], contact_id: uuid.UUID
) -> list[ConsentEvent]:
    result = await info.context.db.execute(
        select(ConsentEvent)
        .where(col(ConsentEvent.contact_id) == contact_id)
        .order_by(col(ConsentEvent.recorded_at), col(ConsentEvent.created_at))
    )
    return list(result.scalars())


def checked(ctx: RequestContext, record: service.ConsentRecord) -> service.ConsentRecord:
    """Refuse, before anything is read or written, a change the caller may not record
    (privacy.consent.may_record) or a widening change without its source and evidence."""
    principal = ctx.require_principal()
    allowed = service.may_record(
        record, permissions=principal.permissions, role_purposes=principal.role_purposes
    )
    if not allowed:
        if record.status == "objection_withdrawn":
            raise forbidden("withdraw an objection; a privacy admin records the person's request")
        raise forbidden(
            f"grant consent for {record.purpose.value}, a purpose it acts under; "
            "a privacy admin records the person's consent"
        )
    missing = service.missing_evidence(record)
    if missing is not None:
        raise bad_input(f"{missing} is required to record this change.", missing)
    return record


async def record(
    ctx: RequestContext, contact_gid: str, record: service.ConsentRecord
) -> ContactRow:
    record = checked(ctx, record)
    contact = await load_contact_model(ctx, contact_gid)
    event = await service.append_consent(
        ctx.db, contact.id, record, ctx.require_principal().user_id
    )
    audit.CONSENT_EVENTS[record.status](
        ctx.audit, contact_id=contact.id, purpose=record.purpose, event_id=event.id
    )
    await webhooks.contact_event(ctx, EventType.CONSENT_CHANGED, contact.id)
    return await reload_contact(ctx, contact.id)


async def restrict(ctx: RequestContext, contact_gid: str, reason: str | None) -> ContactRow:
    contact = await load_contact_model(ctx, contact_gid)
    await service.set_restriction(ctx.db, contact, True, reason, ctx.require_principal().user_id)
    audit.processing_restricted(ctx.audit, contact_id=contact.id)
    await webhooks.contact_event(ctx, EventType.CONSENT_CHANGED, contact.id)
    return await reload_contact(ctx, contact.id)


async def lift_restriction(
    ctx: RequestContext, contact_gid: str, reason: str | None, informed_at: datetime | None
) -> ContactRow:
    """Issue 10 and GDPR Art. 18(3): lifting needs its reason, and the person must have
    been told before it happens (`informed_at`, recorded in the history). Another
    tenant's contact answers NOT_FOUND before the input is looked at."""
    contact = await load_contact_model(ctx, contact_gid)
    text = validation.text(reason, "reason", 500, required=True)
    if informed_at is None:
        raise bad_input(
            "Tell the person before lifting the restriction, and give when (personInformedAt).",
            "personInformedAt",
        )
    if informed_at.tzinfo is None:
        raise bad_input("personInformedAt needs a UTC offset.", "personInformedAt")
    if informed_at > utcnow():
        raise bad_input("personInformedAt is in the future.", "personInformedAt")
    await service.set_restriction(
        ctx.db, contact, False, text, ctx.require_principal().user_id, informed_at
    )
    audit.restriction_lifted(ctx.audit, contact_id=contact.id, informed_at=informed_at)
    await webhooks.contact_event(ctx, EventType.CONSENT_CHANGED, contact.id)
    return await reload_contact(ctx, contact.id)


async def erase(ctx: RequestContext, contact_gid: str, reason: str | None) -> ContactRow:
    """privacy.erasure.erase_person: once (again: a no-op), LEGAL_HOLD under a hold."""
    contact = await load_contact_model(ctx, contact_gid)
    await erasure.erase(ctx, contact, reason)
    return await reload_contact(ctx, contact.id)
