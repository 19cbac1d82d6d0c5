"""Audit of erasure, legal holds and the suppression list (policy sections 5 and 9).

One keyword-only function per event, as in privacy/audit.py: recorded in the request's
audit buffer, written in the same transaction as the change. The detail names ids and
kinds only: never a hold's reason, an address or any other free text.
"""

from __future__ import annotations

import uuid

from privacy.audit import AuditBuffer


def _scope(contact_id: uuid.UUID | None, company_id: uuid.UUID | None) -> str:
    if contact_id is not None:
        return f"contact {contact_id}"
    if company_id is not None:
        return f"company {company_id}"
    return "workspace"


def legal_hold_placed(
    buffer: AuditBuffer,
    *,
    hold_id: uuid.UUID,
    contact_id: uuid.UUID | None,
    company_id: uuid.UUID | None,
) -> None:
    buffer.record("legal_hold_placed", f"hold {hold_id} on {_scope(contact_id, company_id)}")


def legal_hold_released(buffer: AuditBuffer, *, hold_id: uuid.UUID) -> None:
    buffer.record("legal_hold_released", f"hold {hold_id}")


def contact_erased(
    buffer: AuditBuffer,
    *,
    contact_id: uuid.UUID,
    erasure_id: uuid.UUID,
    request_id: uuid.UUID | None,
) -> None:
    under = f" request {request_id}" if request_id else ""
    buffer.record("contact_erased", f"contact {contact_id} erasure {erasure_id}{under}")


def erasure_blocked(
    buffer: AuditBuffer,
    *,
    contact_id: uuid.UUID,
    erasure_id: uuid.UUID,
    hold_id: uuid.UUID,
    request_id: uuid.UUID | None,
) -> None:
    under = f" request {request_id}" if request_id else ""
    buffer.record(
        "erasure_blocked", f"contact {contact_id} erasure {erasure_id} hold {hold_id}{under}"
    )


def suppression_lifted(
    buffer: AuditBuffer, *, contact_id: uuid.UUID, request_id: uuid.UUID, entries: int
) -> None:
    buffer.record(
        "suppression_lifted", f"contact {contact_id} request {request_id} entries {entries}"
    )
