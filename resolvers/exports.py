"""Export packages through the API (policy section 9; issue 10).

A tenant admin (PRIVACY_ADMIN, checked by the schema) starts the export that answers a
verified access or portability request, follows its progress and gets a signed,
expiring download link; an account holder exports their own account data
(`exportMyData`: an access request of theirs, verified by the sign-in, answered by a
package of the same format). Another tenant's request or export answers exactly like a
missing one (the tenant guard adds the tenant to every statement).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select
from sqlmodel import col

from core.context import RequestContext
from core.errors import AppError, Code
from core.settings import Settings
from models import PrivacyExport, PrivacyRequest
from models.base import utcnow
from privacy.export import audit
from privacy.export.jobs import new_export, schedule_export
from privacy.export.links import LinkClaims, download_path
from privacy.request_rules import OPEN, RequestKind, RequestStatus, Verification
from resolvers import privacy_requests
from resolvers.global_ids import encode_id, try_decode

TYPE_NAME = "PrivacyExport"
EXPORTABLE = frozenset({RequestKind.ACCESS, RequestKind.PORTABILITY})


@dataclass
class ExportRow:
    """An export as the API shows it."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    request_id: uuid.UUID | None
    status: str
    progress: int
    sha256: str | None
    size_bytes: int | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime | None
    downloaded_at: datetime | None

    @property
    def gid(self) -> str:
        return encode_id(TYPE_NAME, self.id)

    @property
    def request(self) -> str | None:
        return encode_id("PrivacyRequest", self.request_id) if self.request_id else None

    def download_url(self, settings: Settings, now: datetime) -> str | None:
        """A signed link valid for `export_link_ttl_s` (never past the file's expiry);
        None until the package is built, and once it has expired."""
        if self.status != "done" or self.expires_at is None or self.expires_at <= now:
            return None
        until = min(now + timedelta(seconds=settings.export_link_ttl_s), self.expires_at)
        claims = LinkClaims(self.id, self.tenant_id, self.request_id, int(until.timestamp()))
        return settings.app_url + download_path(settings.export_link_key, claims)


def to_row(found: PrivacyExport) -> ExportRow:
    return ExportRow(
        id=found.id,
        tenant_id=found.tenant_id,
        request_id=found.request_id,
        status=found.status,
        progress=found.progress,
        sha256=found.sha256,
        size_bytes=found.size_bytes,
        error=found.error,
        created_at=found.created_at,
        finished_at=found.finished_at,
        expires_at=found.expires_at,
        downloaded_at=found.downloaded_at,
    )


def export_not_found() -> AppError:
    return AppError(Code.NOT_FOUND, "No export with this id.", field="id")


def check_exportable(found: PrivacyRequest) -> None:
    """Only an open, verified access or portability request about a known person."""
    if RequestKind(found.kind) not in EXPORTABLE:
        raise AppError(
            Code.NOT_AN_ACCESS_REQUEST,
            "Only an access or portability request is answered with an export.",
            field="request",
        )
    if found.verification != Verification.VERIFIED.value:
        raise AppError(
            Code.IDENTITY_NOT_VERIFIED,
            "Verify the requester's identity before exporting their data.",
            field="request",
        )
    if RequestStatus(found.status) not in OPEN:
        raise AppError(Code.PRIVACY_REQUEST_CLOSED, "This request is closed.", field="request")
    if found.contact_id is None and found.user_id is None:
        raise AppError(
            Code.EXPORT_NO_SUBJECT,
            "The request names no contact or account yet: link it to the person first.",
            field="request",
        )


async def _queue(
    ctx: RequestContext,
    *,
    request_id: uuid.UUID,
    contact_id: uuid.UUID | None,
    user_id: uuid.UUID | None,
) -> ExportRow:
    principal = ctx.require_principal()
    export = new_export(
        ctx.services,
        tenant_id=principal.tenant_id,
        request_id=request_id,
        contact_id=contact_id,
        user_id=user_id,
        requested_by=principal.user_id,
    )
    ctx.db.add(export)
    await ctx.db.flush()
    subject = f"contact {contact_id}" if contact_id else f"account {user_id}"
    audit.export_started(ctx.audit, export_id=export.id, request_id=request_id, subject=subject)
    schedule_export(ctx.services, ctx.db, export)
    return to_row(export)


async def start_export(ctx: RequestContext, request: str) -> ExportRow:
    found = await privacy_requests.load_request(ctx, request)
    check_exportable(found)
    return await _queue(
        ctx, request_id=found.id, contact_id=found.contact_id, user_id=found.user_id
    )


async def export_my_data(ctx: RequestContext) -> ExportRow:
    """The account holder's own access request (an open one is reused), answered by an
    export of their account data."""
    filed = await privacy_requests.file_own_request(ctx, RequestKind.ACCESS)
    user_id = ctx.require_principal().user_id
    return await _queue(ctx, request_id=filed.row.id, contact_id=None, user_id=user_id)


async def _find(ctx: RequestContext, export: str, *conditions: ColumnElement[bool]) -> ExportRow:
    wanted = try_decode(export, TYPE_NAME)
    found = None
    if wanted is not None:
        found = (
            await ctx.db.execute(
                select(PrivacyExport).where(col(PrivacyExport.id) == wanted, *conditions)
            )
        ).scalar_one_or_none()
    if found is None:
        raise export_not_found()
    return to_row(found)


async def get_export(ctx: RequestContext, export: str) -> ExportRow:
    return await _find(ctx, export)


async def my_export(ctx: RequestContext, export: str) -> ExportRow:
    """One of the caller's own account exports; anyone else's answers NOT_FOUND."""
    user_id = ctx.require_principal().user_id
    return await _find(ctx, export, col(PrivacyExport.user_id) == user_id)


async def exports_of(ctx: RequestContext, request: str) -> list[ExportRow]:
    found = await privacy_requests.load_request(ctx, request)
    rows = (
        await ctx.db.execute(
            select(PrivacyExport)
            .where(col(PrivacyExport.request_id) == found.id)
            .order_by(col(PrivacyExport.created_at).desc())
        )
    ).scalars()
    return [to_row(r) for r in rows]


def download_url(ctx: RequestContext, row: ExportRow) -> str | None:
    return row.download_url(ctx.services.settings, utcnow())
