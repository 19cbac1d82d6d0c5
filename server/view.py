"""The GraphQL HTTP endpoint: authentication, CSRF, and the unit of work per operation.

GraphQL over HTTP: POST with JSON answers `application/graphql-response+json` when the
client names it in Accept, and `application/json` otherwise (also for `*/*` and for no
Accept at all); a request refused before execution (parse, validation, variables) has
no `data` entry, and 400 under the newer media type. GET runs queries only where
configured, never mutations (405 with `Allow`). Batched (array) requests are refused.
A 401 says why in `WWW-Authenticate` (RFC 6750), an expired token told apart; a
refused rate limit inside an operation (sign-in) is a 429 with `Retry-After`, like the
HTTP rate limits of server/ratelimit.py.
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult

from auth.oauth.claims import (
    AppCredential,
    AppTokenExpired,
    InvalidAppToken,
    is_app_token,
    verify_app_token,
)
from auth.oauth.keys import SigningKeys
from auth.principal import PurposeNotAllowed
from auth.sessions import (
    CSRF_HEADER,
    PURPOSE_HEADER,
    SESSION_COOKIE,
    AuthenticationError,
    CookieCredential,
    Credential,
    CredentialExpiredError,
    csrf_valid,
    verify_bearer,
)
from core.context import RequestContext
from core.errors import Code
from core.services import Services
from privacy.purposes import Purpose
from server.execution import execute_operation
from server.graphiql import graphiql_response
from server.metrics import metrics_of
from server.ratelimit import rate_limited_body
from server.trusted_documents import not_found as persisted_not_found
from server.trusted_documents import persisted_hash, registered_document

log = logging.getLogger("ledgerline.http")

GRAPHQL_RESPONSE = "application/graphql-response+json"
_ACCEPT: contextvars.ContextVar[str] = contextvars.ContextVar("accept", default="")
_PRE_EXECUTION: contextvars.ContextVar[bool] = contextvars.ContextVar("pre", default=False)


_PURPOSE_MESSAGE = "Your role may not act under the purpose this request declares."


def _declared_purpose(request: Request) -> Purpose | None:
    """The purpose named by the X-Ledgerline-Purpose header (a Purpose value, e.g.
    `analytics`), or None when absent: the role's default then applies."""
    value = request.headers.get(PURPOSE_HEADER)
    if value is None:
        return None
    try:
        return Purpose(value.strip().lower())
    except ValueError:
        raise _UnknownPurpose() from None


def _error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        headers=headers,
    )


def _unauthenticated(exc: AuthenticationError) -> JSONResponse:
    """401 with the RFC 6750 challenge; `error_description="expired"` only for a genuine
    token past its expiry, so a client knows to sign in again rather than give up."""
    challenge = 'Bearer error="invalid_token"'
    if exc.expired:
        challenge += ', error_description="expired"'
    return _error(
        401,
        "UNAUTHENTICATED",
        "Your session or token is not valid.",
        headers={"WWW-Authenticate": challenge},
    )


def wants_graphql_response(accept: str) -> bool:
    """Whether the client named the newer media type (with a non-zero quality); `*/*`,
    `application/json` or no Accept header get `application/json`."""
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if media.lower() == GRAPHQL_RESPONSE:
            return all(not _zero_quality(p) for p in params)
    return False


def _zero_quality(param: str) -> bool:
    name, _, value = param.partition("=")
    if name.strip().lower() != "q":
        return False
    try:
        return float(value) == 0
    except ValueError:
        return False


class LedgerlineGraphQL(GraphQL[RequestContext, None]):
    def __init__(self, schema: Any, services: Services, **kwargs: Any) -> None:
        settings = services.settings
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=settings.allow_get_queries,
            multipart_uploads_enabled=False,
            **kwargs,
        )
        self.services = services
        self._app_keys = SigningKeys.from_settings(settings)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 4406})  # no subscriptions yet
            return
        request = Request(scope, receive)
        token = _ACCEPT.set(request.headers.get("accept", ""))
        pre = _PRE_EXECUTION.set(False)
        try:
            response = await self._authenticate_and_run(request)
        except HTTPException as exc:
            headers = {"Allow": "POST"} if exc.status_code == 405 else None
            response = _error(exc.status_code, "BAD_REQUEST", exc.reason, headers)
        finally:
            _ACCEPT.reset(token)
            _PRE_EXECUTION.reset(pre)
        await response(scope, receive, send)

    async def _authenticate_and_run(self, request: Request) -> Response:
        if request.method == "POST":
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype != "application/json":
                return _error(
                    415, "UNSUPPORTED_MEDIA_TYPE", "POST requests must use application/json."
                )
        try:
            purpose = _declared_purpose(request)
            credential = self._credential(request, purpose)
        except _UnknownPurpose:
            return _error(400, Code.PURPOSE_NOT_ALLOWED.value, "Unknown purpose declared.")
        except PurposeNotAllowed:
            return _error(403, Code.PURPOSE_NOT_ALLOWED.value, _PURPOSE_MESSAGE)
        except AuthenticationError as exc:
            return _unauthenticated(exc)
        except _CsrfError:
            return _error(
                403, "CSRF_TOKEN_INVALID", "Cookie-authenticated requests need X-CSRF-Token."
            )
        if isinstance(credential, AppCredential):
            refused = await self._app_rate_limit(credential)
            if refused is not None:
                return refused
        state = request.scope.get("state") or {}
        context = RequestContext(
            services=self.services,
            principal=None,
            credential=credential,
            request=request,
            client_ip=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent", "")[:256] or None,
        )
        if state.get("request_id"):
            context.request_id = state["request_id"]
        try:
            return await self.run(request, context=context)
        except AuthenticationError as exc:  # the bearer's membership or session is gone
            return _unauthenticated(exc)
        except PurposeNotAllowed:  # the current role, checked before execution
            return _error(403, Code.PURPOSE_NOT_ALLOWED.value, _PURPOSE_MESSAGE)

    def _credential(self, request: Request, purpose: Purpose | None) -> Credential | None:
        """A verified bearer token or a session cookie whose CSRF token matches; either
        becomes the principal inside the operation's transaction, acting under
        `purpose` (declared) or the role's default, fixed for the whole request."""
        header = request.headers.get("authorization")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise AuthenticationError("unsupported authorization scheme")
            if is_app_token(token.strip()):
                return self._app_credential(token.strip(), purpose)
            return verify_bearer(self.services, token.strip(), purpose)
        secret = request.cookies.get(SESSION_COOKIE)
        if secret:
            if request.method != "GET" and not csrf_valid(secret, request.headers.get(CSRF_HEADER)):
                raise _CsrfError()
            return CookieCredential(secret, purpose)
        return None

    def _app_credential(self, token: str, purpose: Purpose | None) -> AppCredential:
        """A partner app's access token (RFC 9068): signature, issuer, audience, expiry;
        its grant and installation are checked inside the operation (issue 12)."""
        settings = self.services.settings
        try:
            return verify_app_token(
                self._app_keys, token, issuer=settings.app_url,
                audience=settings.token_audience, purpose=purpose,
            )  # fmt: skip
        except AppTokenExpired as exc:
            raise CredentialExpiredError("expired app token") from exc
        except InvalidAppToken as exc:
            raise AuthenticationError("invalid app token") from exc

    async def _app_rate_limit(self, credential: AppCredential) -> Response | None:
        """Rate limits apply per app installation, whichever token it presents."""
        limiter = self.services.extras.get("rate_limiter")
        if limiter is None:
            return None
        decision = await limiter.hit("default", f"app:{credential.installation_id}")
        if decision.allowed:
            return None
        return Response(
            rate_limited_body(decision.retry_after_s),
            status_code=429,
            media_type="application/json",
            headers={"retry-after": str(decision.retry_after_s), "cache-control": "no-store"},
        )

    async def render_graphql_ide(self, request: Request) -> Response:
        return graphiql_response(demo=not self.services.settings.is_production)

    async def get_context(self, request: Any, response: Any) -> RequestContext:  # pragma: no cover
        raise RuntimeError("contexts are built in _authenticate_and_run")

    async def parse_http_body(self, request_adapter: Any) -> Any:
        data = await super().parse_http_body(request_adapter)
        if isinstance(data, list):
            raise HTTPException(400, "Batched requests are not supported.")
        return data

    async def execute_single(  # noqa: PLR0917
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Response,
        context: RequestContext,
        root_value: Any,
        request_data: Any,
    ) -> ExecutionResult:
        from strawberry.types.graphql import OperationType

        allowed = OperationType.from_http(request_adapter.method)
        if not self.allow_queries_via_get and request_adapter.method == "GET":
            allowed = allowed - {OperationType.QUERY}
        context.response = sub_response
        query = request_data.query
        sha256 = persisted_hash(request_data.extensions)
        if query is None and sha256 and isinstance(context.credential, AppCredential):
            query = await registered_document(self.services, context.credential, sha256)
            if query is None:
                _PRE_EXECUTION.set(True)
                return ExecutionResult(data=None, errors=[persisted_not_found()])
        try:
            result = await execute_operation(
                self.schema,
                context,
                query,
                request_data.variables,
                request_data.operation_name,
                allowed_operation_types=allowed,
            )
        except InvalidOperationTypeError as exc:  # e.g. a mutation over GET
            raise HTTPException(405, exc.as_http_error_reason(request_adapter.method)) from exc
        except CannotGetOperationTypeError as exc:  # operationName names no operation
            raise HTTPException(400, exc.as_http_error_reason()) from exc
        except MissingQueryError as exc:
            raise HTTPException(400, "No GraphQL query found in the request") from exc
        # No data and no error with a path: parsing or validation refused the request,
        # which the newer media type answers with 400.
        errors = result.errors or []
        _PRE_EXECUTION.set(
            result.data is None and bool(errors) and all(e.path is None for e in errors)
        )
        if _rate_limited_status(errors, sub_response):
            metrics = metrics_of(self.services)
            if metrics is not None:
                metrics.refused("sign_in")
        return result

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        """GraphQL over HTTP: the newer media type when the client accepts it, with 400
        for a request that never reached execution (no `data`)."""
        pre_execution = _PRE_EXECUTION.get()
        if pre_execution and isinstance(response_data, dict):
            response_data = {k: v for k, v in response_data.items() if k != "data"}  # type: ignore[assignment]
        response = super().create_response(response_data, sub_response)
        if wants_graphql_response(_ACCEPT.get()):
            response.headers["content-type"] = GRAPHQL_RESPONSE
            if pre_execution and not sub_response.status_code:
                response.status_code = 400
        return response

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


def _rate_limited_status(errors: list[Any], sub_response: Response) -> bool:
    """A rate limit refused inside the operation (the sign-in bucket, the login backoff)
    answers like the HTTP limits: 429 with `Retry-After`."""
    for error in errors:
        extensions = getattr(error, "extensions", None) or {}
        if extensions.get("code") == Code.RATE_LIMITED.value:
            sub_response.status_code = 429
            sub_response.headers["Retry-After"] = str(extensions.get("retryAfter", 1))
            return True
    return False


class _CsrfError(Exception):
    pass


class _UnknownPurpose(Exception):
    pass
