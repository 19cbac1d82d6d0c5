"""Audit of privacy requests (issue 10): one keyword-only function per change of status.

Like the consent events in privacy/audit.py, each is recorded in the request's audit
buffer and written in the same transaction as the change; the actor, tenant and
purpose come from the principal. The detail names ids, kinds and dates only: never a
reason, the evidence or any other free text.
"""

from __future__ import annotations

import uuid
from datetime import date

from privacy.audit import AuditBuffer
from privacy.categories import DataCategory


def privacy_request_received(
    buffer: AuditBuffer, *, request_id: uuid.UUID, kind: str, subject: str, due_on: date
) -> None:
    """`subject` is "contact <id>" or "account <id>"."""
    buffer.record(
        "privacy_request_received", f"request {request_id} kind {kind} {subject} due {due_on}"
    )


def privacy_request_repeated(buffer: AuditBuffer, *, request_id: uuid.UUID, kind: str) -> None:
    """The same subject asked for the same kind again while the request was open."""
    buffer.record("privacy_request_repeated", f"request {request_id} kind {kind}")


def privacy_request_verified(buffer: AuditBuffer, *, request_id: uuid.UUID, method: str) -> None:
    buffer.record("privacy_request_verified", f"request {request_id} method {method}")


def privacy_request_started(buffer: AuditBuffer, *, request_id: uuid.UUID) -> None:
    buffer.record("privacy_request_started", f"request {request_id}")


def privacy_request_extended(buffer: AuditBuffer, *, request_id: uuid.UUID, due_on: date) -> None:
    buffer.record("privacy_request_extended", f"request {request_id} due {due_on}")


def privacy_request_completed(buffer: AuditBuffer, *, request_id: uuid.UUID) -> None:
    buffer.record("privacy_request_completed", f"request {request_id}")


def privacy_request_refused(buffer: AuditBuffer, *, request_id: uuid.UUID) -> None:
    buffer.record("privacy_request_refused", f"request {request_id}")


def privacy_request_rectified(
    buffer: AuditBuffer,
    *,
    request_id: uuid.UUID,
    contact_id: uuid.UUID,
    categories: list[DataCategory],
) -> None:
    """A rectification applied: the categories corrected, never the values."""
    names = ",".join(sorted(c.name for c in categories))
    buffer.record(
        "privacy_request_rectified", f"request {request_id} contact {contact_id} categories {names}"
    )
