"""Export packages (policy section 9; issue 10): the ZIP answering an access or
portability request, its build progress and its signed download link.

Every field is plain: an export names its request by opaque id and holds no personal
data itself (the package does, behind the link). Admins see exports of their tenant's
requests (PRIVACY_ADMIN); an account holder sees their own account exports
(`OwnPrivacyExport`).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry

from auth.permissions import Permission as P
from core.context import RequestContext
from resolvers import exports as resolve
from schema.directives import Requires, TenantScoped
from schema.policy import guarded_field, plain_field


@strawberry.enum(
    name="PrivacyExportStatus",
    description="queued, running (see progress), done (downloadable until expiresAt), "
    "failed (see error) or expired (the file is deleted).",
)
class ExportStatus(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"


LINK = (
    "A signed download link for the ZIP, valid for an hour (never past expiresAt); "
    "null until the package is built and once it has expired. Each download is audited."
)


@strawberry.type(
    description="The export package answering a person's access or portability request: "
    "a ZIP with their data (JSON and CSV), the facts of its processing, their consent "
    "history, earlier requests and who accessed their data.",
    directives=[TenantScoped(), Requires(permission=P.PRIVACY_ADMIN)],
)
class PrivacyExport:
    gid: strawberry.ID = plain_field("Opaque global id of the export.", name="id")
    request: strawberry.ID | None = plain_field("The privacy request it answers.", name="requestId")
    status: ExportStatus = plain_field("Where the build stands.")
    progress: int = plain_field("Build progress, 0 to 100.")
    sha256: str | None = plain_field("SHA-256 of the ZIP, once built.")
    size_bytes: int | None = plain_field("Size of the ZIP in bytes, once built.")
    error: str | None = plain_field("Why the build failed, if it did.")
    created_at: datetime = plain_field("When the export was started.")
    finished_at: datetime | None = plain_field("When the build finished or failed.")
    expires_at: datetime | None = plain_field("When the file is deleted.")
    downloaded_at: datetime | None = plain_field("The first download.")

    @guarded_field(permission=P.PRIVACY_ADMIN, description=LINK)
    def download_url(
        self, root: strawberry.Parent[Any], info: strawberry.Info[RequestContext, None]
    ) -> str | None:
        return resolve.download_url(info.context, root)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, resolve.ExportRow)


@strawberry.type(
    description="An export of your own account data (exportMyData).",
    directives=[TenantScoped(), Requires(permission=P.MEMBERS_READ)],
)
class OwnPrivacyExport:
    gid: strawberry.ID = plain_field("Opaque global id of the export.", name="id")
    request: strawberry.ID | None = plain_field("Your access request it answers.", name="requestId")
    status: ExportStatus = plain_field("Where the build stands.")
    progress: int = plain_field("Build progress, 0 to 100.")
    sha256: str | None = plain_field("SHA-256 of the ZIP, once built.")
    created_at: datetime = plain_field("When the export was started.")
    expires_at: datetime | None = plain_field("When the file is deleted.")

    @guarded_field(permission=P.MEMBERS_READ, description=LINK)
    def download_url(
        self, root: strawberry.Parent[Any], info: strawberry.Info[RequestContext, None]
    ) -> str | None:
        return resolve.download_url(info.context, root)
