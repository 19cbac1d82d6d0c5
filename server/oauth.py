"""The OAuth endpoints over HTTP: a thin Starlette adapter around the authorization
server of auth/oauth/ (issue 12).

authlib's server is synchronous, so each request is read on the event loop (query,
urlencoded form, headers, the signed-in member for the consent page) and then handed
to a worker thread (`run_in_threadpool`) with its own synchronous database session;
the event loop never waits on it. The session commits what the call wrote, also when
the answer is an error: a replayed code or a reused refresh token revokes its grant
and answers `invalid_grant`.

Routes: /oauth/authorize (GET: the consent page; POST: the decision),
/oauth/token, /oauth/revoke (RFC 7009), /oauth/introspect (RFC 7662),
/.well-known/oauth-authorization-server (RFC 8414), /oauth/jwks.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from auth.oauth.consent import ConsentView, consent_view, deny, issue_code
from auth.oauth.installations import install
from auth.oauth.keys import SigningKeys
from auth.oauth.server import OAuthResponse, OAuthServer, PreparedRequest, current_session
from auth.principal import Principal
from auth.scopes import SCOPES_SUPPORTED
from auth.sessions import (
    SESSION_COOKIE,
    AuthenticationError,
    csrf_token_for,
    csrf_valid,
    principal_from_cookie,
)
from core.services import Services
from models.sync_db import SyncDatabase
from privacy.audit import AuditBuffer
from server.consent_page import consent_response, message_response

T = TypeVar("T")
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_FORM = "application/x-www-form-urlencoded"


def server_metadata(issuer: str) -> dict[str, Any]:
    """RFC 8414: what a client library needs to find and use this server."""
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "jwks_uri": f"{issuer}/oauth/jwks",
        "scopes_supported": list(SCOPES_SUPPORTED),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic", "client_secret_post", "none",
        ],
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic", "client_secret_post", "none",
        ],
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic", "client_secret_post",
        ],
    }  # fmt: skip


class OAuthEndpoints:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.settings = services.settings
        self.keys = SigningKeys.from_settings(self.settings)
        self.server = OAuthServer(self.settings, self.keys)
        self.db = SyncDatabase(services.db)

    def routes(self) -> list[Route]:
        return [
            Route("/oauth/authorize", self.authorize, methods=["GET", "POST"]),
            Route("/oauth/token", self.token, methods=["POST"]),
            Route("/oauth/revoke", self.revoke, methods=["POST"]),
            Route("/oauth/introspect", self.introspect, methods=["POST"]),
            Route("/oauth/jwks", self.jwks, methods=["GET"]),
            Route("/.well-known/oauth-authorization-server", self.metadata, methods=["GET"]),
        ]

    def close(self) -> None:
        self.db.dispose()

    # --- reading the request on the event loop, running authlib in a thread ----------

    def _uri(self, request: Request) -> str:
        """The request's URL as authlib checks it (https only). Outside production the
        server runs without TLS (development, tests) and the URL is taken as https."""
        uri = str(request.url)
        if not self.settings.is_production and uri.startswith("http://"):
            uri = "https://" + uri.removeprefix("http://")
        return uri

    async def _prepare(self, request: Request) -> PreparedRequest:
        form: list[tuple[str, str]] = []
        if request.method == "POST":
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype == _FORM:
                # The standard library's parser: an OAuth form is flat key=value pairs.
                form = parse_qsl((await request.body()).decode(), keep_blank_values=True)
        query = list(request.query_params.multi_items())
        return PreparedRequest(request.method, self._uri(request), request.headers, query, form)

    async def _run(
        self,
        work: Callable[[], T],
        *,
        tenant_id: uuid.UUID | None = None,
        user_id: uuid.UUID | None = None,
        session_hash: bytes | None = None,
    ) -> T:
        def in_thread() -> T:
            with self.db.session(tenant_id, user_id=user_id, session_hash=session_hash) as db:
                token = current_session.set(db)
                try:
                    result = work()
                    db.commit()
                    return result
                finally:
                    current_session.reset(token)

        return await run_in_threadpool(in_thread)

    @staticmethod
    def _respond(answer: OAuthResponse) -> Response:
        headers = dict(answer.headers)
        headers.pop("Content-Type", None)
        if isinstance(answer.body, dict):
            return JSONResponse(answer.body, answer.status, headers={**headers, **_NO_STORE})
        return Response(answer.body, answer.status, headers={**headers, **_NO_STORE})

    # --- endpoints -----------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        prepared = await self._prepare(request)
        answer = await self._run(
            lambda: self.server.create_token_response(prepared),
            session_hash=prepared.secret_hash(),
        )
        return self._respond(answer)

    async def revoke(self, request: Request) -> Response:
        return await self._endpoint(request, "revocation")

    async def introspect(self, request: Request) -> Response:
        return await self._endpoint(request, "introspection")

    async def _endpoint(self, request: Request, name: str) -> Response:
        prepared = await self._prepare(request)
        answer = await self._run(
            lambda: self.server.create_endpoint_response(name, prepared),
            session_hash=prepared.secret_hash(),
        )
        return self._respond(answer)

    async def metadata(self, _request: Request) -> Response:
        return JSONResponse(server_metadata(self.settings.app_url))

    async def jwks(self, _request: Request) -> Response:
        return JSONResponse(self.keys.jwks(), headers={"Cache-Control": "max-age=300"})

    async def _member(self, request: Request) -> tuple[Principal, str] | None:
        secret = request.cookies.get(SESSION_COOKIE)
        if not secret:
            return None
        try:
            return await principal_from_cookie(self.services, secret), secret
        except AuthenticationError:
            return None

    async def authorize(self, request: Request) -> Response:
        member = await self._member(request)
        if member is None:
            return message_response(
                "Sign in first",
                "Sign in to Ledgerline in this browser, then open the app's link again.",
                401,
            )
        principal, secret = member
        prepared = await self._prepare(request)
        tenant, user = principal.tenant_id, principal.user_id
        if request.method == "GET":
            view = await self._run(
                lambda: consent_view(self.server, prepared, principal),
                tenant_id=tenant,
                user_id=user,
            )
            if isinstance(view, ConsentView):
                return consent_response(view, csrf_token_for(secret))
            return self._authorize_error(view)
        form = prepared.form
        if not csrf_valid(secret, form.get("csrf_token")):
            return message_response(
                "Request refused", "The form expired or did not come from this page.", 403
            )
        if form.get("decision") != "approve":
            answer = await self._run(lambda: deny(self.server, prepared))
            return self._authorize_error(answer)
        view = await self._run(
            lambda: consent_view(self.server, prepared, principal),
            tenant_id=tenant,
            user_id=user,
        )
        if not isinstance(view, ConsentView):
            return self._authorize_error(view)
        if view.installs:
            await self._install(request, principal, view, form.get("trusted_documents_only"))
        answer = await self._run(
            lambda: issue_code(self.server, prepared, principal), tenant_id=tenant, user_id=user
        )
        return self._authorize_error(answer)

    async def _install(
        self, request: Request, principal: Principal, view: ConsentView, trusted_only: str | None
    ) -> None:
        """An admin's approval installs the app, audited in the same transaction."""
        state = request.scope.get("state") or {}
        buffer = AuditBuffer()
        async with self.services.db.session(
            principal.tenant_id, user_id=principal.user_id
        ) as session:
            await install(
                session, buffer, principal, view.client_pk, view.client_id, view.scope,
                trusted_documents_only=trusted_only == "1",
            )  # fmt: skip
            await buffer.flush(
                session, principal, state.get("request_id") or uuid.uuid4().hex, None,
                chain_key=self.settings.audit_key,
            )  # fmt: skip
            await session.commit()

    def _authorize_error(self, answer: OAuthResponse) -> Response:
        """A redirect to the client (a code, or an error for a verified redirect URI)
        as it is; any other error as a page: never a redirect to an unverified URI."""
        if answer.status == 302:
            return self._respond(answer)
        body = answer.body if isinstance(answer.body, dict) else {}
        return message_response(
            "This app's request is not valid",
            str(body.get("error_description") or body.get("error") or "invalid_request"),
            answer.status,
        )
