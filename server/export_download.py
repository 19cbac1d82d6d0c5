"""GET /exports/{id}/download: an export package through its signed link (policy
section 9; issue 10).

The link (privacy/export/links.py) is the credential: whoever holds it gets the file
until it expires, and nobody else. A forged or altered signature, an expired link, a
link for another tenant, request or export, and an export whose file is gone all get
the one and the same 404 answer, so the route tells nothing about what exists. Each
download is audited (export_downloaded, with no signed-in actor) and the first one is
recorded on the export.
"""

from __future__ import annotations

import anyio
from sqlalchemy import select
from sqlmodel import col
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from core.services import Services
from models.base import utcnow
from models.exports import PrivacyExport
from privacy.audit import AuditBuffer
from privacy.export import audit
from privacy.export.links import verified_claims

NOT_FOUND = {"error": "not_found", "message": "No export at this link."}


def not_found() -> Response:
    return JSONResponse(NOT_FOUND, status_code=404, headers={"cache-control": "no-store"})


async def download_export(request: Request) -> Response:
    services: Services = request.app.state.services
    now = utcnow()
    claims = verified_claims(
        services.settings.export_link_key,
        request.path_params.get("export_id", ""),
        dict(request.query_params),
        now,
    )
    if claims is None:
        return not_found()
    async with services.db.session(claims.tenant_id) as session:
        found = (
            await session.execute(
                select(PrivacyExport).where(
                    col(PrivacyExport.id) == claims.export_id,
                    col(PrivacyExport.request_id).is_(None)
                    if claims.request_id is None
                    else col(PrivacyExport.request_id) == claims.request_id,
                    col(PrivacyExport.status) == "done",
                )
            )
        ).scalar_one_or_none()
        usable = (
            found is not None
            and found.file_path is not None
            and found.expires_at is not None
            and found.expires_at > now
            and await anyio.Path(found.file_path).is_file()
        )
        if not usable:
            return not_found()
        assert found is not None and found.file_path is not None
        buffer = AuditBuffer()
        audit.export_downloaded(buffer, export_id=found.id, request_id=found.request_id)
        await buffer.flush_public(
            session, claims.tenant_id, chain_key=services.settings.audit_key, actor_type="link"
        )
        found.downloaded_at = found.downloaded_at or now
        found.updated_at = now
        path = found.file_path
        await session.commit()
    return FileResponse(
        path,
        media_type="application/zip",
        filename=f"personal-data-{claims.export_id}.zip",
        headers={"cache-control": "no-store"},
    )
