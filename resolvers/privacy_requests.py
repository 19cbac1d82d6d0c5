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
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from auth.invitations import hash_invitation_token, invitation_tenant, new_invitation_token
from auth.throttle import limit_auth
from core import mail
from core.context import RequestContext
from core.errors import AppError, Code, bad_input
from core.mail import send_after_commit
from core.services import Services
from models import Contact, PrivacyRequest, Tenant
from models.base import utcnow
from privacy import request_audit as audit
from privacy.audit import AuditBuffer
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
from privacy.webhooks.events import EventType
from resolvers import validation, webhooks
from resolvers.contacts import change_contact, personal_categories
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


load_request = _load
"""The request with this global id in the caller's tenant, or NOT_FOUND (exports)."""


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


def new_request(
    *,
    tenant_id: uuid.UUID,
    kind: RequestKind,
    jurisdiction: Jurisdiction,
    requester: Requester,
    channel: Channel,
    received_at: datetime,
    time_zone: str,
    **fields: Any,
) -> PrivacyRequest:
    """A request as received, with its legal deadlines computed from the receipt: the
    one place every intake path (admin log, account holder, public form) builds one."""
    deadlines = initial_deadlines(jurisdiction, received_at, time_zone)
    return PrivacyRequest(
        tenant_id=tenant_id,
        kind=kind.value,
        requester=requester.value,
        channel=channel.value,
        jurisdiction=jurisdiction.value,
        received_at=received_at,
        time_zone=time_zone,
        due_on=deadlines.due_on,
        acknowledge_by=deadlines.acknowledge_by,
        **fields,
    )


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
    request = new_request(
        tenant_id=ctx.tenant_id,
        kind=data.kind,
        jurisdiction=data.jurisdiction,
        requester=data.requester,
        channel=data.channel,
        received_at=received_at,
        time_zone=time_zone,
        contact_id=contact_id,
        logged_by=principal.user_id,
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
    request = new_request(
        tenant_id=ctx.tenant_id,
        kind=kind,
        jurisdiction=jurisdiction,
        requester=Requester.DATA_SUBJECT,
        channel=Channel.IN_APP,
        received_at=now,
        time_zone=DEFAULT_TIME_ZONE,
        user_id=user_id,
        logged_by=user_id,
        verification=Verification.VERIFIED.value,
        verification_method=VerificationMethod.SIGNED_IN_ACCOUNT.value,
        verified_by=user_id,
        verified_at=now,
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
    await webhooks.emit(
        ctx, EventType.REQUEST_COMPLETED, None,
        {"id": encode_id(TYPE_NAME, found.id), "kind": found.kind},
    )  # fmt: skip
    return await _save(ctx, found)


async def rectify(
    ctx: RequestContext, request: str, changes: dict[str, Any], evidence: str
) -> PrivacyRequestRow:
    """Apply a verified rectification request to its contact (issue 10, "Rectification,
    restriction, objection"): only personal-data fields, changed as updateContact
    changes them; the audit names the categories corrected, never a value; the request
    is completed with the evidence in the same transaction."""
    found = await _load(ctx, request)
    if found.kind != RequestKind.RECTIFICATION.value or found.contact_id is None:
        raise bad_input("Only a rectification request about a contact applies here.", "request")
    try:
        after_complete(RequestStatus(found.status), Verification(found.verification))
    except TransitionRefused as exc:
        raise _refused(exc) from exc
    categories = personal_categories(list(changes))
    if not changes or categories is None:
        raise bad_input("Name the personal-data fields to correct, and only those.", "changes")
    contact = (
        await ctx.db.execute(select(Contact).where(col(Contact.id) == found.contact_id))
    ).scalar_one_or_none()
    if contact is None:
        raise AppError(Code.NOT_FOUND, "No contact with this id.", field="request")
    await change_contact(ctx, contact, changes)
    audit.privacy_request_rectified(
        ctx.audit, request_id=found.id, contact_id=contact.id, categories=categories
    )
    return await complete(ctx, request, evidence)


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


# --- the public intake: submitPrivacyRequest and verifyPrivacyRequest ---------------
# Anyone may submit, signed in or not: the request is recorded in the tenant the person
# names, unverified, and the single-use link that verifies it goes to the address given.
# The answer is one and the same whether the tenant exists, whether the address belongs
# to a contact, and whether a request is already open; an unknown tenant records
# nothing and mails nobody (there is no organisation to confirm a request to, and a
# mail would make the intake a way to send mail to any address; whether an
# organisation uses Ledgerline is not personal data, and the answer does not tell).

INTAKE_MESSAGE = (
    "Thank you. If this organisation handles privacy requests with Ledgerline, we sent "
    "a link to the address you gave: open it within 72 hours to verify the request. "
    "Nothing happens until you do."
)
"""The one answer of submitPrivacyRequest."""
VERIFIED_MESSAGE = (
    "Thank you: your request is verified. The organisation will answer it by its due date."
)
LINK_INVALID_MESSAGE = (
    "This link is no longer valid: it has expired, was already used or is not a link we "
    "sent. Submit the request again to get a new one."
)
VERIFICATION_TTL = timedelta(hours=72)


@dataclass
class IntakeData:
    tenant: str
    kind: RequestKind
    email: str
    name: str | None = None
    details: str | None = None
    jurisdiction: Jurisdiction = Jurisdiction.GDPR


def link_invalid() -> AppError:
    return AppError(Code.PRIVACY_REQUEST_LINK_INVALID, LINK_INVALID_MESSAGE, field="token")


async def _tenant_named(services: Services, tenant: str) -> Tenant | None:
    """The tenant of that slug (or global id), or None."""
    wanted = tenant.strip().lower()
    by_id = try_decode(tenant.strip(), "Tenant")
    condition = col(Tenant.slug) == wanted
    if by_id is not None:
        condition = or_(condition, col(Tenant.id) == by_id)
    async with services.db.session(None) as session:
        return (await session.execute(select(Tenant).where(condition))).scalars().first()


async def _contact_by_email(session: AsyncSession, email_bidx: bytes) -> uuid.UUID | None:
    return (
        await session.execute(
            select(col(Contact.id))
            .where(col(Contact.email_bidx) == email_bidx, col(Contact.erased_at).is_(None))
            .order_by(col(Contact.created_at))
            .limit(1)
        )
    ).scalar_one_or_none()


async def submit_request(ctx: RequestContext, data: IntakeData) -> str:
    """Rate limited (the `auth` bucket of the client's IP); every refusal of the input
    before anything is looked up. Returns INTAKE_MESSAGE, whatever was found.

    In a known tenant: the address is stored encrypted with the tenant's data key, with
    its blind index (which finds the contact it belongs to, if any: the subject); the
    request is unverified, received now, due by the jurisdiction's rule from now (the
    clock runs from receipt, see `verify_by_link`). An open unverified intake of the
    same address and kind gets a new link instead of a second record (the old link
    stops working)."""
    services = ctx.services
    await limit_auth(services, ctx.client_ip)
    email = validation.email(data.email)
    assert email is not None
    name = validation.text(data.name, "name", 200)
    details = validation.text(data.details, "details", 2000)
    tenant_text = validation.text(data.tenant, "tenant", 200, required=True)
    tenant = await _tenant_named(services, tenant_text)
    if tenant is None:
        return INTAKE_MESSAGE
    token, token_hash = new_invitation_token(tenant.id)
    now = utcnow()
    expires_at = now + VERIFICATION_TTL
    async with services.db.session(tenant.id) as session:
        cipher = await services.keyring.cipher(session, tenant.id)
        email_bidx = cipher.blind_index(email)
        buffer = AuditBuffer()
        pending = (
            (
                await session.execute(
                    select(PrivacyRequest).where(
                        col(PrivacyRequest.requester_email_bidx) == email_bidx,
                        col(PrivacyRequest.kind) == data.kind.value,
                        col(PrivacyRequest.channel) == Channel.WEB_FORM.value,
                        col(PrivacyRequest.verification) == Verification.UNVERIFIED.value,
                        col(PrivacyRequest.status).in_([s.value for s in OPEN]),
                    )
                )
            )
            .scalars()
            .first()
        )
        if pending is not None:
            pending.verification_token_hash = token_hash
            pending.verification_expires_at = expires_at
            pending.repeats += 1
            pending.updated_at = now
            audit.privacy_request_repeated(buffer, request_id=pending.id, kind=pending.kind)
        else:
            contact_id = await _contact_by_email(session, email_bidx)
            request = new_request(
                tenant_id=tenant.id,
                kind=data.kind,
                jurisdiction=data.jurisdiction,
                requester=Requester.DATA_SUBJECT,
                channel=Channel.WEB_FORM,
                received_at=now,
                time_zone=DEFAULT_TIME_ZONE,
                contact_id=contact_id,
                requester_email_enc=cipher.encrypt(email),
                requester_email_bidx=email_bidx,
                requester_name_enc=cipher.encrypt(name),
                details_enc=cipher.encrypt(details),
                verification_token_hash=token_hash,
                verification_expires_at=expires_at,
            )
            session.add(request)
            await session.flush()
            subject = f"contact {contact_id}" if contact_id else "requester address only"
            audit.privacy_request_received(
                buffer,
                request_id=request.id,
                kind=request.kind,
                subject=subject,
                due_on=request.due_on,
            )
        await buffer.flush_public(session, tenant.id, chain_key=services.settings.audit_key)
        link = f"{services.settings.app_url}/verify-privacy-request#token={token}"
        send_after_commit(
            session,
            services,
            mail.privacy_request_verification(
                to=email,
                organisation=tenant.name,
                kind=data.kind.value.replace("_", " "),
                link=link,
                expires_at=expires_at,
            ),
        )
        await session.commit()
    return INTAKE_MESSAGE


async def verify_by_link(ctx: RequestContext, token: str) -> str:
    """The single-use token from the mail verifies the request (method
    `email_confirmation`, by nobody: verified_by stays empty). An expired, used,
    superseded or forged token, or one of a request closed meanwhile, is one and the
    same PRIVACY_REQUEST_LINK_INVALID. Rate limited like the intake.

    The due date does not move: under both rules of privacy/deadlines.py the clock runs
    from receipt (GDPR Art. 12(3); CCPA regulations 7021(b): "regardless of time
    required to verify"), as logPrivacyRequest computes it. A request that had no
    subject gets the contact the address now belongs to, if any; when that contact
    already has an open request of the same kind, the repeat is counted on it and this
    intake record is removed (linked, not doubled)."""
    services = ctx.services
    await limit_auth(services, ctx.client_ip)
    tenant_id = invitation_tenant(token)
    if tenant_id is None:
        raise link_invalid()
    token_hash = hash_invitation_token(token)
    now = utcnow()
    async with services.db.session(tenant_id) as session:
        found = (
            await session.execute(
                select(PrivacyRequest).where(
                    col(PrivacyRequest.verification_token_hash) == token_hash
                )
            )
        ).scalar_one_or_none()
        if (
            found is None
            or found.verification_expires_at is None
            or found.verification_expires_at <= now
        ):
            raise link_invalid()
        try:
            status = after_verify(RequestStatus(found.status), Verification(found.verification))
        except TransitionRefused as exc:
            raise link_invalid() from exc
        claimed = await session.execute(
            update(PrivacyRequest)
            .where(
                col(PrivacyRequest.id) == found.id,
                col(PrivacyRequest.verification_token_hash) == token_hash,
            )
            .values(verification_token_hash=None, verification_expires_at=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]  # a concurrent use won
            raise link_invalid()
        buffer = AuditBuffer()
        if found.contact_id is None and found.user_id is None and found.requester_email_bidx:
            found.contact_id = await _contact_by_email(session, found.requester_email_bidx)
        open_one = None
        if found.contact_id is not None:
            open_one = (
                (
                    await session.execute(
                        select(PrivacyRequest)
                        .where(
                            col(PrivacyRequest.contact_id) == found.contact_id,
                            col(PrivacyRequest.kind) == found.kind,
                            col(PrivacyRequest.id) != found.id,
                            col(PrivacyRequest.verification) == Verification.VERIFIED.value,
                            col(PrivacyRequest.status).in_([s.value for s in OPEN]),
                        )
                        .order_by(col(PrivacyRequest.received_at))
                        .limit(1)
                    )
                )
                .scalars()
                .first()
            )
        audit.privacy_request_verified(
            buffer, request_id=found.id, method=VerificationMethod.EMAIL_CONFIRMATION.value
        )
        if open_one is not None:
            open_one.repeats += 1
            open_one.updated_at = now
            audit.privacy_request_repeated(buffer, request_id=open_one.id, kind=open_one.kind)
            await session.delete(found)
        else:
            found.status = status.value
            found.verification = Verification.VERIFIED.value
            found.verification_method = VerificationMethod.EMAIL_CONFIRMATION.value
            found.verified_by = None
            found.verified_at = now
            found.verification_token_hash = None
            found.verification_expires_at = None
            found.updated_at = now
        await buffer.flush_public(session, tenant_id, chain_key=services.settings.audit_key)
        await session.commit()
    return VERIFIED_MESSAGE
