"""The authorization endpoint's decisions (issue 12): what the consent page shows, and
what approving or denying it does. Runs in the authorization server's worker thread.

A tenant admin (`apps:manage`) approving an app installs it in the tenant with the
requested scopes; any member may then authorize an installed app to act for them,
within the installation's scopes (and, on every request, within their own role). A
member who may not install is refused (`access_denied`) when the app is not installed
or asks for more than the installation allows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import AccessDeniedError, OAuth2Error
from sqlalchemy import select
from sqlmodel import col

from auth.oauth.installations import active_installation
from auth.oauth.server import Approver, OAuthResponse, OAuthServer, PreparedRequest, _db
from auth.permissions import Permission
from auth.principal import Principal
from auth.scopes import Reach, Scope, parse_scopes, reach
from models.apps import TrustedDocument

OAUTH_PARAMS = (
    "response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
    "code_challenge_method",
)  # fmt: skip


@dataclass(frozen=True)
class ConsentView:
    """Everything the consent page shows, in plain words."""

    app_name: str
    client_id: str
    scopes: tuple[Scope, ...]
    reach: Reach
    documents: tuple[tuple[str, str], ...]
    """The app's registered operations: (name, SHA-256)."""
    installs: bool
    """Approving installs the app in the tenant (an admin, not installed yet or more
    scopes than installed)."""
    client_pk: uuid.UUID
    scope: str
    params: tuple[tuple[str, str], ...]
    redirect_origin: str


def _refuse(server: OAuthServer, request: PreparedRequest, redirect_uri: str) -> OAuthResponse:
    error = AccessDeniedError(
        "Only an admin may install this app or widen its scopes.",
        redirect_uri=redirect_uri,
        state=request.payload.data.get("state"),
    )
    response: OAuthResponse = server.handle_error_response(request, error)
    return response


def _documents(client_pk: object) -> tuple[tuple[str, str], ...]:
    rows = _db().execute(
        select(col(TrustedDocument.name), col(TrustedDocument.sha256))
        .where(col(TrustedDocument.client_pk) == client_pk)
        .order_by(col(TrustedDocument.name))
    )
    return tuple((r[0], r[1]) for r in rows.all())


def consent_view(
    server: OAuthServer, request: PreparedRequest, principal: Principal
) -> ConsentView | OAuthResponse:
    """The page for a valid authorization request, or its OAuth error response (a
    redirect to the client only once its redirect URI is verified, RFC 6749 4.1.2.1)."""
    try:
        grant = server.get_consent_grant(request, end_user=None)
    except OAuth2Error as error:
        response: OAuthResponse = server.handle_error_response(request, error)
        return response
    client = grant.client
    scopes = parse_scopes(grant.request.scope)
    installation = active_installation(_db(), client.pk)
    covered = installation is not None and set(grant.request.scope.split()) <= set(
        installation.scopes.split()
    )
    if not covered and not principal.has(Permission.APPS_MANAGE):
        return _refuse(server, request, grant.redirect_uri)
    params = tuple((k, v) for k in OAUTH_PARAMS if (v := request.payload.data.get(k)))
    parts = urlsplit(grant.redirect_uri)
    return ConsentView(
        app_name=client.name,
        client_id=client.client_id,
        scopes=scopes,
        reach=reach(scopes),
        documents=_documents(client.pk),
        installs=not covered,
        client_pk=client.pk,
        scope=grant.request.scope,
        params=params,
        redirect_origin=f"{parts.scheme}://{parts.netloc}",
    )


def deny(server: OAuthServer, request: PreparedRequest) -> OAuthResponse:
    """`access_denied`, redirected to the client (or the request's own error)."""
    try:
        grant = server.get_consent_grant(request, end_user=None)
    except OAuth2Error as error:
        response: OAuthResponse = server.handle_error_response(request, error)
        return response
    denied: OAuthResponse = server.create_authorization_response(
        request, grant_user=None, grant=grant
    )
    return denied


def issue_code(
    server: OAuthServer, request: PreparedRequest, principal: Principal
) -> OAuthResponse:
    """Approve: the code (authlib, with our storage), redirected to the client, under
    the installation that covers the request (installed first when it needed to be)."""
    try:
        grant = server.get_consent_grant(request, end_user=None)
    except OAuth2Error as error:
        response: OAuthResponse = server.handle_error_response(request, error)
        return response
    installation = active_installation(_db(), grant.client.pk)
    asked = set(grant.request.scope.split())
    if installation is None or not asked <= set(installation.scopes.split()):
        return _refuse(server, request, grant.redirect_uri)
    approver = Approver(principal.user_id, principal.tenant_id, installation.id)
    approved: OAuthResponse = server.create_authorization_response(
        request, grant_user=approver, grant=grant
    )
    return approved
