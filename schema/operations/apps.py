"""Partner apps (issue 12, policy section 6): register an app (a signed-in developer),
list, restrict and uninstall installations (tenant admins). Resolvers in
resolvers/apps.py; the OAuth endpoints themselves are HTTP (server/oauth.py)."""

from __future__ import annotations

import strawberry

from auth.permissions import Permission as P
from core.context import RequestContext
from resolvers import apps as resolve
from schema.policy import guarded_field
from schema.types.apps import AppInstallation, RegisteredApp


@strawberry.type
class Query:
    @guarded_field(
        permission=P.APPS_MANAGE,
        description="Partner apps installed in your organisation, newest first, "
        "uninstalled ones included.",
    )
    async def app_installations(
        self, info: strawberry.Info[RequestContext, None]
    ) -> list[AppInstallation]:
        return await resolve.installations_of(info.context)  # type: ignore[return-value]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Register a partner app (an OAuth client) as its developer: "
        "confidential (keeps a secret, shown once) or public (PKCE only); exact redirect "
        "URIs, https outside development; the scopes it may ask for. Requires signing in; "
        "refused to an app's own token."
    )
    async def register_app(
        self,
        info: strawberry.Info[RequestContext, None],
        name: str,
        client_type: str,
        redirect_uris: list[str],
        scopes: list[str],
    ) -> RegisteredApp:
        return await resolve.register_app(  # type: ignore[return-value]
            info.context, name=name, client_type=client_type, redirect_uris=redirect_uris,
            scopes=scopes,
        )  # fmt: skip

    @guarded_field(
        permission=P.APPS_MANAGE,
        description="Uninstall a partner app: every access and refresh token it holds in "
        "your organisation stops working at once.",
    )
    async def uninstall_app(
        self, info: strawberry.Info[RequestContext, None], installation: strawberry.ID
    ) -> AppInstallation:
        return await resolve.uninstall(info.context, installation)  # type: ignore[return-value]

    @guarded_field(
        permission=P.APPS_MANAGE,
        description="Allow an installed app only the operations it registered (trusted "
        "documents, by SHA-256), or any operation again.",
    )
    async def restrict_app_to_trusted_documents(
        self,
        info: strawberry.Info[RequestContext, None],
        installation: strawberry.ID,
        enabled: bool = True,
    ) -> AppInstallation:
        return await resolve.restrict_to_trusted_documents(  # type: ignore[return-value]
            info.context, installation, enabled
        )
