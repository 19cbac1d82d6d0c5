"""What an export package holds, read from the database (policy section 9).

A contact's package (the tenant is the controller): the contact record, the deals
where they are the primary contact, the activities about them or linked to them or to
those deals, their consent and processing history, their earlier privacy requests,
and who in the organisation accessed their personal data and when (audit_subject).
An activity linked to them but written about someone else keeps its non-personal
fields; its subject line and body are redacted by the subject access rule.

An account holder's package (the service is the controller): the account, its
memberships and their organisations, the policy acknowledgements, the account's
privacy requests in this tenant and the access summary.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.services import Services
from models import (
    Activity,
    AuditSubject,
    ConsentEvent,
    ConsentState,
    Contact,
    Deal,
    Membership,
    PolicyAcceptance,
    PrivacyRequest,
    ProcessingEvent,
    Tenant,
    User,
)
from models.tenant_guard import INCLUDE_TRASHED
from privacy.data_map import Subject
from privacy.decision import SubjectAccessPolicy
from privacy.export.records import Record, export_records, plain_value
from privacy.render import Decrypt

Progress = Callable[[int], Awaitable[None]]


class SubjectKind(enum.Enum):
    CONTACT = "contact"
    ACCOUNT = "account"

    @property
    def data_subject(self) -> Subject:
        return Subject.CONTACT if self is SubjectKind.CONTACT else Subject.ACCOUNT_HOLDER

    @property
    def tables(self) -> tuple[str, ...]:
        """The tables a package of this kind is drawn from (its scope)."""
        return SCOPE[self]


SCOPE: dict[SubjectKind, tuple[str, ...]] = {
    SubjectKind.CONTACT: (
        "contact", "deal", "activity", "consent_event", "processing_event", "consent_state",
        "privacy_request", "audit_subject",
    ),
    SubjectKind.ACCOUNT: (
        "app_user", "membership", "tenant", "policy_acceptance", "privacy_request",
        "audit_subject",
    ),
}  # fmt: skip


class SubjectGone(LookupError):
    """The person the export is for no longer exists in this tenant."""


@dataclass
class ExportContent:
    kind: SubjectKind
    subject_id: uuid.UUID
    organisation: str
    request_id: uuid.UUID | None
    data: list[Record] = field(default_factory=list)
    consent: list[Record] = field(default_factory=list)
    requests: list[Record] = field(default_factory=list)
    access: list[dict[str, Any]] = field(default_factory=list)

    @property
    def tables(self) -> list[str]:
        return list(self.kind.tables)

    def redactions(self) -> list[dict[str, Any]]:
        return [
            dict(entry)
            for record in (*self.data, *self.consent, *self.requests)
            for entry in record.redactions
        ]


async def _all(session: AsyncSession, statement: Any) -> list[Any]:
    """Rows in the trash too (models/tenant_guard.py): data still held is data the person
    has a right to see until the purge removes it."""
    trash_too = statement.execution_options(**{INCLUDE_TRASHED: True})
    return list((await session.execute(trash_too)).scalars().all())


async def _organisation(session: AsyncSession, tenant_id: uuid.UUID) -> str:
    found = await session.get(Tenant, tenant_id)
    return found.name if found is not None else ""


async def access_summary(session: AsyncSession, subject_id: uuid.UUID) -> list[dict[str, Any]]:
    """Who accessed the person's personal data and when: the exported columns of
    audit_subject, with the accessor's role in the organisation (a member's name is
    their own personal data, so it is not given)."""
    rows = (
        await session.execute(
            select(AuditSubject, col(Membership.role))
            .outerjoin(
                Membership,
                (col(Membership.user_id) == AuditSubject.actor_id)
                & (col(Membership.tenant_id) == AuditSubject.tenant_id),
            )
            .where(col(AuditSubject.subject_id) == subject_id)
            .order_by(col(AuditSubject.occurred_at))
        )
    ).all()

    def names(text: str) -> list[str]:
        return [part for part in text.split(",") if part]

    return [
        {
            "occurred_at": plain_value(row.occurred_at),
            "accessor": role or ("service" if row.actor_id is None else "former member"),
            "purposes": names(row.purposes),
            "categories_shown": names(row.categories_shown),
            "categories_redacted": names(row.categories_redacted),
        }
        for row, role in rows
    ]


async def collect_contact(
    session: AsyncSession,
    decrypt: Decrypt,
    contact_id: uuid.UUID,
    request_id: uuid.UUID | None,
    progress: Progress,
) -> ExportContent:
    """A contact's package, read in the session's tenant."""
    contact = await session.get(Contact, contact_id, execution_options={INCLUDE_TRASHED: True})
    if contact is None:
        raise SubjectGone(str(contact_id))
    policy = SubjectAccessPolicy(contact_id)
    content = ExportContent(
        SubjectKind.CONTACT,
        contact_id,
        await _organisation(session, contact.tenant_id),
        request_id,
    )

    def records(table: str, rows: list[Any], subject: Callable[[Any], Any]) -> list[Record]:
        pairs = [(row, subject(row)) for row in rows]
        return export_records(table, pairs, policy=policy, decrypt=decrypt)

    content.data += records("contact", [contact], lambda r: r.id)
    await progress(20)
    deals = await _all(
        session,
        select(Deal)
        .where(col(Deal.primary_contact_id) == contact_id)
        .order_by(col(Deal.created_at)),
    )
    content.data += records("deal", deals, lambda r: r.primary_contact_id)
    linked = [
        col(Activity.contact_id) == contact_id,
        col(Activity.subject_contact_id) == contact_id,
    ]
    if deals:
        linked.append(col(Activity.deal_id).in_([d.id for d in deals]))
    activities = await _all(
        session, select(Activity).where(or_(*linked)).order_by(col(Activity.created_at))
    )
    content.data += records("activity", activities, lambda r: r.subject_contact_id)
    await progress(40)
    for model, table, order in (
        (ConsentEvent, "consent_event", ConsentEvent.recorded_at),
        (ProcessingEvent, "processing_event", ProcessingEvent.recorded_at),
        (ConsentState, "consent_state", ConsentState.purpose),
    ):
        rows = await _all(
            session, select(model).where(col(model.contact_id) == contact_id).order_by(col(order))
        )
        content.consent += records(table, rows, lambda r: r.contact_id)
    await progress(55)
    requests = await _all(
        session,
        select(PrivacyRequest)
        .where(col(PrivacyRequest.contact_id) == contact_id)
        .order_by(col(PrivacyRequest.received_at)),
    )
    content.requests += records("privacy_request", requests, lambda r: r.contact_id)
    content.access = await access_summary(session, contact_id)
    await progress(70)
    return content


async def collect_account(
    services: Services,
    session: AsyncSession,
    decrypt: Decrypt,
    user_id: uuid.UUID,
    tenant_id: uuid.UUID,
    request_id: uuid.UUID | None,
    progress: Progress,
) -> ExportContent:
    """An account holder's package: the account (read in a session scoped to the user,
    decrypted with the platform key), and the account's requests and access summary in
    the tenant of `session`."""
    policy = SubjectAccessPolicy(user_id)
    platform = await services.keyring.platform_cipher(services.db)
    content = ExportContent(
        SubjectKind.ACCOUNT, user_id, await _organisation(session, tenant_id), request_id
    )
    async with services.db.session(None, user_scope=user_id) as own:
        user = await own.get(User, user_id)
        if user is None:
            raise SubjectGone(str(user_id))
        memberships = await _all(
            own,
            select(Membership)
            .where(col(Membership.user_id) == user_id)
            .order_by(col(Membership.created_at)),
        )
        tenants = await _all(
            own, select(Tenant).where(col(Tenant.id).in_([m.tenant_id for m in memberships]))
        )
        acceptances = await _all(
            own,
            select(PolicyAcceptance)
            .where(col(PolicyAcceptance.user_id) == user_id)
            .order_by(col(PolicyAcceptance.accepted_at)),
        )
    content.data += export_records(
        "app_user", [(user, user_id)], policy=policy, decrypt=platform.decrypt
    )
    for table, rows in (
        ("membership", memberships),
        ("tenant", tenants),
        ("policy_acceptance", acceptances),
    ):
        content.data += export_records(
            table, [(r, user_id) for r in rows], policy=policy, decrypt=platform.decrypt
        )
    await progress(40)
    requests = await _all(
        session,
        select(PrivacyRequest)
        .where(col(PrivacyRequest.user_id) == user_id)
        .order_by(col(PrivacyRequest.received_at)),
    )
    content.requests += export_records(
        "privacy_request", [(r, user_id) for r in requests], policy=policy, decrypt=decrypt
    )
    content.access = await access_summary(session, user_id)
    await progress(70)
    return content
