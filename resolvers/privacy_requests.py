"""Privacy requests (policy sections 9 and 13; issue 10): logging, filing and handling.

Admins (PRIVACY_ADMIN, checked by the schema) log a contact's request received by
mail, phone or otherwise, and move it through verification, work, an extension and
its completion or refusal; account holders file their own request about their
account in the app. The deadlines come from privacy/deadlines.py, the allowed changes
from privacy/request_rules.py, and every change is audited in the same transaction
(privacy/request_audit.py). Another tenant's request, or contact, answers exactly like
a missing one (the tenant guard adds the tenant to every statement).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from core.context import RequestContext
from core.errors import AppError, Code, bad_input
from models import Contact, PrivacyRequest
from models.base import utcnow
from privacy import request_audit as audit
from privacy.deadlines import (
    DEFAULT_TIME_ZONE,
    ExtensionRefused,
    Jurisdiction,
    days_remaining,
    extended_due,
    initial_deadlines,
    local_date,
    zone,
)
from privacy.request_rules import (
    OPEN,
    Channel,
    Requester,
    RequestKind,
    RequestStatus,
    TransitionRefused,
    Verification,
    VerificationMethod,
    after_complete,
    after_extend,
    after_refuse,
    after_start,
    after_verify,
)
from resolvers import validation
from resolvers.global_ids import encode_id, try_decode

TYPE_NAME = "PrivacyRequest"


@dataclass
class PrivacyRequestRow:
    """A request as the API shows it, with its days remaining as of `now`."""

    id: uuid.UUID
    kind: RequestKind
    contact_id: uuid.UUID | None
    user_id: uuid.UUID | None
    requester: Requester
    channel: Channel
    jurisdiction: Jurisdiction
    received_at: datetime
    time_zone: str
    verification: Verification
    verification_method: VerificationMethod | None
    verified_by_id: uuid.UUID | None
    verified_at: datetime | None
    status: RequestStatus
    due_on: date
    acknowledge_by: date | None
    extended_at: datetime | None
    extension_reason: str | None
    started_at: datetime | None
    completed_at: datetime | None
    completion_evidence: str | None
    refused_at: datetime | None
    refusal_reason: str | None
    repeats: int
    created_at: datetime
    now: datetime
    subject_state: Any = None
    subject_id: Any = None

    @property
    def gid(self) -> str:
        return encode_id(TYPE_NAME, self.id)

    @property
    def contact(self) -> str | None:
        return encode_id("Contact", self.contact_id) if self.contact_id else None

    @property
    def account(self) -> str | None:
        return encode_id("Member", self.user_id) if self.user_id else None

    @property
    def verified_by(self) -> str | None:
        return encode_id("Member", self.verified_by_id) if self.verified_by_id else None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def days_remaining(self) -> int | None:
        """Null once the request is closed."""
        if not self.is_open:
            return None
        return days_remaining(self.due_on, self.now, self.time_zone)

    @property
    def overdue(self) -> bool:
        remaining = self.days_remaining
        return remaining is not None and remaining < 0


def to_row(found: PrivacyRequest, now: datetime | None = None) -> PrivacyRequestRow:
    return PrivacyRequestRow(
        id=found.id,
        kind=RequestKind(found.kind),
        contact_id=found.contact_id,
        user_id=found.user_id,
        requester=Requester(found.requester),
        channel=Channel(found.channel),
        jurisdiction=Jurisdiction(found.jurisdiction),
        received_at=found.received_at,
        time_zone=found.time_zone,
        verification=Verification(found.verification),
        verification_method=(
            VerificationMethod(found.verification_method) if found.verification_method else None
        ),
        verified_by_id=found.verified_by,
        verified_at=found.verified_at,
        status=RequestStatus(found.status),
        due_on=found.due_on,
        acknowledge_by=found.acknowledge_by,
        extended_at=found.extended_at,
        extension_reason=found.extension_reason,
        started_at=found.started_at,
        completed_at=found.completed_at,
        completion_evidence=found.completion_evidence,
        refused_at=found.refused_at,
        refusal_reason=found.refusal_reason,
        repeats=found.repeats,
        created_at=found.created_at,
        now=now or utcnow(),
    )


@dataclass
class Filed:
    """The request, and whether it was an open one the subject had already made."""

    row: PrivacyRequestRow
    duplicate: bool

    @property
    def duplicate_of(self) -> str | None:
        return self.row.gid if self.duplicate else None


@dataclass
class LogRequestData:
    contact: str
    kind: RequestKind
    channel: Channel
    jurisdiction: Jurisdiction = Jurisdiction.GDPR
    requester: Requester = Requester.DATA_SUBJECT
    received_at: datetime | None = None
    time_zone: str | None = None


def _refused(exc: TransitionRefused) -> AppError:
    return AppError(Code(exc.code), str(exc))


async def _load(ctx: RequestContext, request: str) -> PrivacyRequest:
    wanted = try_decode(request, TYPE_NAME)
    found = None
    if wanted is not None:
        found = (
            await ctx.db.execute(select(PrivacyRequest).where(col(PrivacyRequest.id) == wanted))
        ).scalar_one_or_none()
    if found is None:
        raise AppError(Code.NOT_FOUND, "No privacy request with this id.", field="request")
    return found


async def _contact_id(ctx: RequestContext, contact: str) -> uuid.UUID:
    wanted = try_decode(contact, "Contact")
    found = None
    if wanted is not None:
        found = (
            await ctx.db.execute(select(col(Contact.id)).where(col(Contact.id) == wanted))
        ).scalar_one_or_none()
    if found is None:
        raise AppError(Code.NOT_FOUND, "No contact with this id.", field="contact")
    return found


def _time_zone(value: str | None) -> str:
    name = (value or DEFAULT_TIME_ZONE).strip()
    try:
        zone(name)
    except ValueError as exc:
        raise bad_input("timeZone is not an IANA time zone name.", "timeZone") from exc
    return name


def _received_at(value: datetime | None, now: datetime) -> datetime:
    if value is None:
        return now
    if value.tzinfo is None:
        raise bad_input("receivedAt needs a UTC offset.", "receivedAt")
    if value > now:
        raise bad_input("receivedAt is in the future.", "receivedAt")
    return value


async def _open_duplicate(
    ctx: RequestContext, kind: RequestKind, subject: Any
) -> PrivacyRequest | None:
    return (
        (
            await ctx.db.execute(
                select(PrivacyRequest)
                .where(
                    subject,
                    col(PrivacyRequest.kind) == kind.value,
                    col(PrivacyRequest.status).in_([s.value for s in OPEN]),
                )
                .order_by(col(PrivacyRequest.received_at))
                .limit(1)
            )
        )
        .scalars()
        .first()
    )


async def _repeat(ctx: RequestContext, found: PrivacyRequest) -> Filed:
    """A repeated request is counted on the open one, never recorded twice."""
    found.repeats += 1
    found.updated_at = utcnow()
    await ctx.db.flush()
    audit.privacy_request_repeated(ctx.audit, request_id=found.id, kind=found.kind)
    return Filed(to_row(found), duplicate=True)


async def _record(ctx: RequestContext, request: PrivacyRequest, subject: str) -> Filed:
    ctx.db.add(request)
    await ctx.db.flush()
    audit.privacy_request_received(
        ctx.audit, request_id=request.id, kind=request.kind, subject=subject, due_on=request.due_on
    )
    return Filed(to_row(request), duplicate=False)


async def log_request(ctx: RequestContext, data: LogRequestData) -> Filed:
    """An admin logs a contact's request (received by mail, phone, email...)."""
    principal = ctx.require_principal()
    now = utcnow()
    time_zone = _time_zone(data.time_zone)
    received_at = _received_at(data.received_at, now)
    contact_id = await _contact_id(ctx, data.contact)
    open_one = await _open_duplicate(ctx, data.kind, col(PrivacyRequest.contact_id) == contact_id)
    if open_one is not None:
        return await _repeat(ctx, open_one)
    deadlines = initial_deadlines(data.jurisdiction, received_at, time_zone)
    request = PrivacyRequest(
        tenant_id=ctx.tenant_id,
        kind=data.kind.value,
        contact_id=contact_id,
        requester=data.requester.value,
        channel=data.channel.value,
        jurisdiction=data.jurisdiction.value,
        received_at=received_at,
        time_zone=time_zone,
        logged_by=principal.user_id,
        due_on=deadlines.due_on,
        acknowledge_by=deadlines.acknowledge_by,
    )
    return await _record(ctx, request, f"contact {contact_id}")


async def file_own_request(
    ctx: RequestContext, kind: RequestKind, jurisdiction: Jurisdiction = Jurisdiction.GDPR
) -> Filed:
    """An account holder's request about their own account. Signed in, they are who
    they say they are: the identity is verified by the sign-in."""
    principal = ctx.require_principal()
    user_id = principal.user_id
    open_one = await _open_duplicate(ctx, kind, col(PrivacyRequest.user_id) == user_id)
    if open_one is not None:
        return await _repeat(ctx, open_one)
    now = utcnow()
    deadlines = initial_deadlines(jurisdiction, now, DEFAULT_TIME_ZONE)
    request = PrivacyRequest(
        tenant_id=ctx.tenant_id,
        kind=kind.value,
        user_id=user_id,
        requester=Requester.DATA_SUBJECT.value,
        channel=Channel.IN_APP.value,
        jurisdiction=jurisdiction.value,
        received_at=now,
        time_zone=DEFAULT_TIME_ZONE,
        logged_by=user_id,
        verification=Verification.VERIFIED.value,
        verification_method=VerificationMethod.SIGNED_IN_ACCOUNT.value,
        verified_by=user_id,
        verified_at=now,
        due_on=deadlines.due_on,
        acknowledge_by=deadlines.acknowledge_by,
    )
    return await _record(ctx, request, f"account {user_id}")


def _sort_key(row: PrivacyRequestRow) -> tuple[int, int, float]:
    """Open requests by due date (the overdue ones first), then closed ones, newest first."""
    if row.is_open:
        return (0, row.due_on.toordinal(), row.received_at.timestamp())
    return (1, 0, -row.received_at.timestamp())


async def list_requests(
    ctx: RequestContext, status: RequestStatus | None = None, overdue_first: bool = True
) -> list[PrivacyRequestRow]:
    query = select(PrivacyRequest)
    if status is not None:
        query = query.where(col(PrivacyRequest.status) == status.value)
    found = (await ctx.db.execute(query)).scalars().all()
    now = utcnow()
    rows = [to_row(f, now) for f in found]
    if overdue_first:
        return sorted(rows, key=_sort_key)
    return sorted(rows, key=lambda r: r.received_at, reverse=True)


async def own_requests(ctx: RequestContext) -> list[PrivacyRequestRow]:
    user_id = ctx.require_principal().user_id
    found = (
        await ctx.db.execute(select(PrivacyRequest).where(col(PrivacyRequest.user_id) == user_id))
    ).scalars()
    return sorted((to_row(f) for f in found), key=lambda r: r.received_at, reverse=True)


async def get_request(ctx: RequestContext, request: str) -> PrivacyRequestRow:
    return to_row(await _load(ctx, request))


async def _save(ctx: RequestContext, found: PrivacyRequest) -> PrivacyRequestRow:
    found.updated_at = utcnow()
    await ctx.db.flush()
    return to_row(found)


async def verify(
    ctx: RequestContext, request: str, method: VerificationMethod
) -> PrivacyRequestRow:
    found = await _load(ctx, request)
    try:
        status = after_verify(RequestStatus(found.status), Verification(found.verification))
    except TransitionRefused as exc:
        raise _refused(exc) from exc
    found.status = status.value
    found.verification = Verification.VERIFIED.value
    found.verification_method = method.value
    found.verified_by = ctx.require_principal().user_id
    found.verified_at = utcnow()
    audit.privacy_request_verified(ctx.audit, request_id=found.id, method=method.value)
    return await _save(ctx, found)


async def start(ctx: RequestContext, request: str) -> PrivacyRequestRow:
    found = await _load(ctx, request)
    try:
        status = after_start(RequestStatus(found.status), Verification(found.verification))
    except TransitionRefused as exc:
        raise _refused(exc) from exc
    found.status = status.value
    found.started_at = found.started_at or utcnow()
    audit.privacy_request_started(ctx.audit, request_id=found.id)
    return await _save(ctx, found)


async def extend(ctx: RequestContext, request: str, reason: str) -> PrivacyRequestRow:
    """Once, with a reason, on or before the due date (in the request's zone)."""
    found = await _load(ctx, request)
    try:
        status = after_extend(RequestStatus(found.status))
    except TransitionRefused as exc:
        raise _refused(exc) from exc
    text = validation.text(reason, "reason", 500, required=True)
    now = utcnow()
    try:
        due_on = extended_due(
            Jurisdiction(found.jurisdiction),
            found.due_on,
            today=local_date(now, found.time_zone),
            already_extended=found.extended_at is not None,
            reason=text,
        )
    except ExtensionRefused as exc:
        raise AppError(Code.EXTENSION_REFUSED, str(exc), field="request") from exc
    found.status = status.value
    found.due_on = due_on
    found.extended_at = now
    found.extension_reason = text
    audit.privacy_request_extended(ctx.audit, request_id=found.id, due_on=due_on)
    return await _save(ctx, found)


async def complete(ctx: RequestContext, request: str, evidence: str) -> PrivacyRequestRow:
    found = await _load(ctx, request)
    try:
        status = after_complete(RequestStatus(found.status), Verification(found.verification))
    except TransitionRefused as exc:
        raise _refused(exc) from exc
    found.completion_evidence = validation.text(evidence, "evidence", 2000, required=True)
    found.status = status.value
    found.completed_at = utcnow()
    audit.privacy_request_completed(ctx.audit, request_id=found.id)
    return await _save(ctx, found)


async def refuse(ctx: RequestContext, request: str, reason: str) -> PrivacyRequestRow:
    found = await _load(ctx, request)
    try:
        status = after_refuse(RequestStatus(found.status))
    except TransitionRefused as exc:
        raise _refused(exc) from exc
    found.refusal_reason = validation.text(reason, "reason", 500, required=True)
    found.status = status.value
    found.refused_at = utcnow()
    audit.privacy_request_refused(ctx.audit, request_id=found.id)
    return await _save(ctx, found)
