"""Audit of export packages (policy sections 8 and 9): one keyword-only function per
event, like privacy/audit.py. The detail names ids and sizes only, never a value."""

from __future__ import annotations

import uuid

from privacy.audit import AuditBuffer


def export_started(
    buffer: AuditBuffer, *, export_id: uuid.UUID, request_id: uuid.UUID | None, subject: str
) -> None:
    """`subject` is "contact <id>" or "account <id>"."""
    buffer.record("export_started", f"export {export_id} request {request_id} {subject}")


def export_built(buffer: AuditBuffer, *, export_id: uuid.UUID, size_bytes: int) -> None:
    buffer.record("export_built", f"export {export_id} bytes {size_bytes}")


def export_failed(buffer: AuditBuffer, *, export_id: uuid.UUID) -> None:
    buffer.record("export_failed", f"export {export_id}")


def export_downloaded(
    buffer: AuditBuffer, *, export_id: uuid.UUID, request_id: uuid.UUID | None
) -> None:
    """A download through a signed link (whoever holds the link; no signed-in actor)."""
    buffer.record("export_downloaded", f"export {export_id} request {request_id}")
