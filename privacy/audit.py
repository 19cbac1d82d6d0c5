"""Audit of personal-data reads (policy section 8): one event per request and subject.

The buffer collects, while the response is built, which categories of which subject
were shown or redacted; with the actor, tenant, purposes and time this becomes one
`audit_event` per request and one `audit_subject` row per subject. Values are never
recorded. Privacy-relevant changes (consent, restriction, erasure...) are recorded as
actions and always written in the same transaction as the change itself.

Reads are written either in the request's transaction or, when the server runs an
`AuditSink`, by that write-behind task, which batches the reads of many requests into
one transaction every `interval` seconds (a 1,000-row page otherwise spends more time
writing its audit than reading its data). The sink drains on shutdown; a crash can
lose at most one interval of read audit, never a change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert

from models.audit import AuditEvent, AuditSubject
from models.base import utcnow
from models.db import ArrayInsert
from privacy.audit_chain import chain_events
from privacy.categories import DataCategory
from privacy.purposes import Purpose
from privacy.usage import write_usage

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from auth.principal import Principal
    from models.db import Database

log = logging.getLogger("ledgerline.audit")


@dataclass
class _SubjectAccess:
    shown: set[DataCategory] = field(default_factory=set)
    redacted: set[DataCategory] = field(default_factory=set)


@dataclass
class AuditRows:
    tenant_id: uuid.UUID
    events: list[dict[str, Any]]
    subjects: list[dict[str, Any]]
    usage: list[dict[str, Any]] = field(default_factory=list)


def _event_row(
    tenant_id: uuid.UUID, actor_id: uuid.UUID | None, actor_type: str, purposes: str,
    action: str, detail: str, request_id: str | None, operation_name: str | None, now: Any,
    app_client_id: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    return {
        "id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "actor_id": actor_id,
        "actor_type": actor_type,
        "app_client_id": app_client_id,
        "action": action,
        "purposes": purposes,
        "request_id": request_id,
        "operation_name": (operation_name or "")[:200] or None,
        "detail": detail[:2000],
        "occurred_at": now,
    }


def _event(principal: Principal, action: str, detail: str, request_id: str,
           operation_name: str | None, now: Any) -> dict[str, Any]:  # fmt: skip
    purposes = ",".join(p.value for p in principal.purposes)
    actor_type = "app" if principal.client_id else "user"  # an app names itself (issue 12)
    return _event_row(principal.tenant_id, principal.user_id, actor_type, purposes, action,
                      detail, request_id, operation_name, now, principal.client_id)  # fmt: skip


_SUBJECT_INSERT = ArrayInsert(
    AuditSubject,
    (("id", "uuid"), ("tenant_id", "uuid"), ("event_id", "uuid"), ("subject_id", "uuid"),
     ("actor_id", "uuid"), ("categories_shown", "text"), ("categories_redacted", "text"),
     ("purposes", "text"), ("occurred_at", "timestamptz")),
)  # fmt: skip
"""One row per request and subject: a thousand-row page's audit as nine arrays."""


async def write_rows(session: AsyncSession, rows: AuditRows, chain_key: bytes) -> None:
    """The one way audit rows are written: events take their place in the tenant's hash
    chain first (privacy/audit_chain.py), with their subject rows."""
    if rows.events:
        await chain_events(session, chain_key, rows.tenant_id, rows.events, rows.subjects)
        await session.execute(insert(AuditEvent), rows.events)
    await _SUBJECT_INSERT.write(session, rows.subjects)
    await write_usage(session, rows.usage)


class AuditBuffer:
    __slots__ = ("_subjects", "actions", "usage")

    def __init__(self) -> None:
        self._subjects: dict[uuid.UUID, _SubjectAccess] = {}
        self.actions: list[tuple[str, str]] = []
        self.usage: dict[str, Any] | None = None
        """The request's usage record (policy 2.3), written with the read audit."""

    def read(self, subject_id: uuid.UUID, category: DataCategory, shown: bool) -> None:
        access = self._subjects.get(subject_id)
        if access is None:
            access = self._subjects[subject_id] = _SubjectAccess()
        (access.shown if shown else access.redacted).add(category)

    def read_all(
        self,
        subject_id: uuid.UUID,
        shown: frozenset[DataCategory],
        redacted: frozenset[DataCategory],
    ) -> None:
        """`read` for a whole row at once (the fast executor)."""
        access = self._subjects.get(subject_id)
        if access is None:
            access = self._subjects[subject_id] = _SubjectAccess()
        access.shown |= shown
        access.redacted |= redacted

    def reads(self) -> dict[uuid.UUID, tuple[frozenset[DataCategory], frozenset[DataCategory]]]:
        """The reads so far, subject by subject: (shown, redacted) categories."""
        return {
            subject: (frozenset(access.shown), frozenset(access.redacted))
            for subject, access in self._subjects.items()
        }

    def merge(self, other: AuditBuffer) -> None:
        """Add another buffer's reads (verify mode keeps the fast path's apart first)."""
        for subject, access in other._subjects.items():
            self.read_all(subject, frozenset(access.shown), frozenset(access.redacted))

    def record(self, action: str, detail: str) -> None:
        """A privacy-relevant change (consent, restriction...) described without values."""
        self.actions.append((action, detail))

    def __bool__(self) -> bool:
        return bool(self._subjects or self.actions or self.usage)

    def take_reads(
        self, principal: Principal, request_id: str, operation_name: str | None
    ) -> AuditRows | None:
        if not self._subjects:
            return None
        now = utcnow()
        event = _event(principal, "pii_read", f"{len(self._subjects)} subjects", request_id,
                       operation_name, now)  # fmt: skip
        purposes = event["purposes"]
        subjects = [
            {
                "id": uuid.uuid4(),
                "tenant_id": principal.tenant_id,
                "event_id": event["id"],
                "subject_id": subject_id,
                "actor_id": principal.user_id,
                "categories_shown": ",".join(sorted(c.name for c in access.shown)),
                "categories_redacted": ",".join(sorted(c.name for c in access.redacted)),
                "purposes": purposes,
                "occurred_at": now,
            }
            for subject_id, access in self._subjects.items()
        ]
        self._subjects = {}
        return AuditRows(principal.tenant_id, [event], subjects)

    def take_actions(
        self, principal: Principal, request_id: str, operation_name: str | None
    ) -> AuditRows | None:
        if not self.actions:
            return None
        now = utcnow()
        events = [
            _event(principal, action, detail, request_id, operation_name, now)
            for action, detail in self.actions
        ]
        self.actions = []
        return AuditRows(principal.tenant_id, events, [])

    async def flush_public(
        self,
        session: AsyncSession,
        tenant_id: uuid.UUID,
        *,
        chain_key: bytes,
        actor_id: uuid.UUID | None = None,
        actor_type: str = "public",
    ) -> None:
        """Write the changes of work done outside a signed-in request, with no purpose:
        the public intake of privacy requests (actor type `public`, no actor), a
        background job (`job`, the member who started it) or a download link (`link`)."""
        if not self.actions:
            return
        now = utcnow()
        events = [
            _event_row(tenant_id, actor_id, actor_type, "", action, detail, None, None, now)
            for action, detail in self.actions
        ]
        self.actions = []
        await write_rows(session, AuditRows(tenant_id, events, []), chain_key)

    async def flush(
        self,
        session: AsyncSession,
        principal: Principal,
        request_id: str,
        operation_name: str | None,
        sink: AuditSink | None = None,
        *,
        chain_key: bytes,
    ) -> None:
        """Write the changes now; the reads now too, or hand them to a running sink."""
        actions = self.take_actions(principal, request_id, operation_name)
        if actions is not None:
            await write_rows(session, actions, chain_key)
        reads = self.take_reads(principal, request_id, operation_name)
        if self.usage is not None:
            reads = reads or AuditRows(principal.tenant_id, [], [])
            reads.usage.append(self.usage)
            self.usage = None
        if reads is None:
            return
        if sink is not None and sink.running:
            sink.submit(reads)
        else:
            await write_rows(session, reads, chain_key)


# --- Privacy-relevant changes: one keyword-only function per audited event ------------
# The actor, tenant and declared purpose come from the request's principal when the
# buffer is flushed; the detail names ids only, never a value or free text.


def consent_granted(
    buffer: AuditBuffer, *, contact_id: uuid.UUID, purpose: Purpose, event_id: uuid.UUID
) -> None:
    buffer.record(
        "consent_granted", f"contact {contact_id} purpose {purpose.value} event {event_id}"
    )


def consent_withdrawn(
    buffer: AuditBuffer, *, contact_id: uuid.UUID, purpose: Purpose, event_id: uuid.UUID
) -> None:
    buffer.record(
        "consent_withdrawn", f"contact {contact_id} purpose {purpose.value} event {event_id}"
    )


def objection_recorded(
    buffer: AuditBuffer, *, contact_id: uuid.UUID, purpose: Purpose, event_id: uuid.UUID
) -> None:
    buffer.record(
        "consent_objected", f"contact {contact_id} purpose {purpose.value} event {event_id}"
    )


def objection_withdrawn(
    buffer: AuditBuffer, *, contact_id: uuid.UUID, purpose: Purpose, event_id: uuid.UUID
) -> None:
    buffer.record(
        "consent_objection_withdrawn",
        f"contact {contact_id} purpose {purpose.value} event {event_id}",
    )


CONSENT_EVENTS = {
    "granted": consent_granted,
    "withdrawn": consent_withdrawn,
    "objected": objection_recorded,
    "objection_withdrawn": objection_withdrawn,
}
"""The audit function for each `ConsentRecord.status`."""


def app_installed(
    buffer: AuditBuffer, *, installation_id: uuid.UUID, client_id: str, scopes: str
) -> None:
    buffer.record(
        "app_installed", f"installation {installation_id} app {client_id} scopes {scopes}"
    )


def app_restricted(
    buffer: AuditBuffer, *, installation_id: uuid.UUID, client_id: str, enabled: bool
) -> None:
    buffer.record(
        "app_trusted_documents_only",
        f"installation {installation_id} app {client_id} {'on' if enabled else 'off'}",
    )


def app_uninstalled(buffer: AuditBuffer, *, installation_id: uuid.UUID, client_id: str) -> None:
    buffer.record("app_uninstalled", f"installation {installation_id} app {client_id}")


def webhook_subscribed(
    buffer: AuditBuffer, *, subscription_id: uuid.UUID, installation_id: uuid.UUID, events: str
) -> None:
    buffer.record(
        "webhook_subscribed",
        f"subscription {subscription_id} installation {installation_id} events {events}",
    )


def webhook_deleted(buffer: AuditBuffer, *, subscription_id: uuid.UUID) -> None:
    buffer.record("webhook_deleted", f"subscription {subscription_id}")


def webhook_secret_rotated(buffer: AuditBuffer, *, subscription_id: uuid.UUID) -> None:
    buffer.record("webhook_secret_rotated", f"subscription {subscription_id}")


def webhook_disabled(buffer: AuditBuffer, *, subscription_id: uuid.UUID, failures: int) -> None:
    """The notice to the admin: a subscription stopped after `failures` failed deliveries
    in a row (listed with its `disabledAt` in `webhookSubscriptions`)."""
    buffer.record("webhook_disabled", f"subscription {subscription_id} after {failures} failures")


def processing_restricted(buffer: AuditBuffer, *, contact_id: uuid.UUID) -> None:
    buffer.record("processing_restricted", f"contact {contact_id}")


def restriction_lifted(buffer: AuditBuffer, *, contact_id: uuid.UUID, informed_at: Any) -> None:
    """Lifted, with a reason (kept in the history, not here), after the person was told
    (`informed_at`, GDPR Art. 18(3))."""
    buffer.record("restriction_lifted", f"contact {contact_id} person informed {informed_at}")


def account_deleted(buffer: AuditBuffer, *, user_id: uuid.UUID, memberships: int) -> None:
    """An account holder deleted their own account (recorded in each of its tenants):
    its opaque id and how many memberships ended, nothing else about the person."""
    buffer.record("account_deleted", f"account {user_id} memberships {memberships}")


def sale_sharing_objection(
    buffer: AuditBuffer, *, user_id: uuid.UUID, source: str, event_id: uuid.UUID
) -> None:
    """An account holder objected to the sale or sharing of their account data
    (`source`: gpc or account_settings)."""
    buffer.record(
        "account_sale_sharing_objected", f"account {user_id} source {source} event {event_id}"
    )


class AuditSink:
    """Write-behind for read audit: one transaction per tenant per interval, whose
    entries are chained under one lock of the tenant's chain head."""

    def __init__(self, db: Database, chain_key: bytes, interval: float = 0.2) -> None:
        self._db = db
        self._chain_key = chain_key
        self._interval = interval
        self._pending: list[AuditRows] = []
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def backlog(self) -> int:
        """Batches submitted and not yet written (the `/metrics` backlog gauge)."""
        return len(self._pending)

    def start(self) -> None:
        if not self.running:
            self._stopping = asyncio.Event()
            self._task = asyncio.create_task(self._run(), name="audit-sink")

    def submit(self, rows: AuditRows) -> None:
        self._pending.append(rows)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval)
            await self.flush()

    async def flush(self) -> None:
        batch, self._pending = self._pending, []
        by_tenant: dict[uuid.UUID, AuditRows] = {}
        for rows in batch:
            merged = by_tenant.setdefault(rows.tenant_id, AuditRows(rows.tenant_id, [], []))
            merged.events.extend(rows.events)
            merged.subjects.extend(rows.subjects)
            merged.usage.extend(rows.usage)
        for tenant_id, rows in by_tenant.items():
            try:
                async with self._db.session(tenant_id) as session:
                    await write_rows(session, rows, self._chain_key)
                    await session.commit()
            except Exception:  # keep serving; the failure is loud in the log
                log.exception("could not write read audit for tenant %s", tenant_id)

    async def drain(self) -> None:
        """Write everything submitted so far (tests, shutdown)."""
        while self._pending:
            await self.flush()

    async def stop(self) -> None:
        """Ask the writer to stop, let the batch it is writing finish (cancelling it
        mid-write would lose that batch), then write what is left."""
        if self._task is not None:
            self._stopping.set()
            await self._task
            self._task = None
        await self.drain()


# --- Retention (policy section 5; issue 11) --------------------------------------------


def retention_rule_changed(buffer: AuditBuffer, *, rule: str, days: int) -> None:
    buffer.record("retention_rule_changed", f"rule {rule} days {days}")


def moved_to_trash(buffer: AuditBuffer, *, type_name: str, row_id: uuid.UUID) -> None:
    buffer.record(f"{type_name.lower()}_deleted", f"{type_name.lower()} {row_id}")


def restored_from_trash(buffer: AuditBuffer, *, type_name: str, row_id: uuid.UUID) -> None:
    buffer.record(f"{type_name.lower()}_restored", f"{type_name.lower()} {row_id}")


def retention_purged(buffer: AuditBuffer, *, step: str, count: int, run_id: uuid.UUID) -> None:
    """The purge acts for no one: flushed with `flush_public` as actor type `system`."""
    buffer.record("retention_purged", f"{step}: {count} rows, run {run_id}")
