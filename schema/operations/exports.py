"""Export packages (policy section 9; issue 10): admins export the data of a person
whose access or portability request is verified; account holders export their own
account data. Resolvers in resolvers/exports.py; the build in privacy/export/."""

from __future__ import annotations

import strawberry

from auth.permissions import Permission as P
from resolvers import exports as resolve
from schema.policy import guarded_field
from schema.types.exports import OwnPrivacyExport, PrivacyExport


@strawberry.type
class Query:
    @guarded_field(
        permission=P.PRIVACY_ADMIN,
        description="One export package: its status, progress and download link.",
    )
    async def privacy_export(self, info: strawberry.Info, id: strawberry.ID) -> PrivacyExport:
        return await resolve.get_export(info.context, id)  # type: ignore[return-value]

    @guarded_field(
        permission=P.PRIVACY_ADMIN,
        description="The export packages built for one privacy request, newest first.",
    )
    async def privacy_exports(
        self, info: strawberry.Info, request: strawberry.ID
    ) -> list[PrivacyExport]:
        return await resolve.exports_of(info.context, request)  # type: ignore[return-value]

    @guarded_field(
        permission=P.MEMBERS_READ,
        description="One export of your own account data (exportMyData).",
    )
    async def my_data_export(self, info: strawberry.Info, id: strawberry.ID) -> OwnPrivacyExport:
        return await resolve.my_export(info.context, id)  # type: ignore[return-value]


@strawberry.type
class Mutation:
    @guarded_field(
        permission=P.PRIVACY_ADMIN,
        description="Start building the export package that answers an access or "
        "portability request. The request must be open and its identity verified "
        "(IDENTITY_NOT_VERIFIED otherwise); another kind of request answers "
        "NOT_AN_ACCESS_REQUEST, an intake request not yet linked to a person "
        "EXPORT_NO_SUBJECT. The build runs in the background: follow privacyExport.",
    )
    async def start_privacy_export(
        self, info: strawberry.Info, request: strawberry.ID
    ) -> PrivacyExport:
        return await resolve.start_export(info.context, request)  # type: ignore[return-value]

    @guarded_field(
        permission=P.MEMBERS_READ,
        description="Export your own account data (right of access and portability): "
        "files an access request of yours (an open one is reused) and builds the same "
        "package format in the background; follow myDataExport for its download link.",
    )
    async def export_my_data(self, info: strawberry.Info) -> OwnPrivacyExport:
        return await resolve.export_my_data(info.context)  # type: ignore[return-value]
