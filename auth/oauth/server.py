"""The OAuth 2 authorization server of partner apps, on authlib (issue 12).

authlib provides the protocol: request validation, client authentication, the grants
(authorization code, client credentials, refresh token), PKCE (RFC 7636), revocation
(RFC 7009), introspection (RFC 7662), error responses, and the JWT access-token
profile (RFC 9068). This module supplies what authlib leaves to its user: storage
(through one synchronous session per request, `current_session`), the rules of this
service, and the claims. Its core is synchronous, so server/oauth.py runs every call
in a worker thread.

Our rules on top of authlib's:
- PKCE is required for the authorization code and only S256 is accepted (`plain` is
  refused at the authorization endpoint).
- Client credentials act in one tenant (`tenant`, its slug) where the app is
  installed, for the admin who installed it; never beyond the installation's scopes.
- A code is single use; presenting it again revokes the grant its first use created
  (RFC 6749 section 4.1.2).
- Refresh tokens rotate; presenting a spent one revokes its whole grant (reuse
  detection, OAuth 2.0 Security BCP section 4.14).
- Revoking any token revokes its grant, so the access tokens of the family stop at
  once too (RFC 7009 section 2.1 allows revoking related tokens).
"""

from __future__ import annotations

import contextvars
import hmac
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from authlib.common.security import generate_token
from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    ClientMixin,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Request,
    UnauthorizedClientError,
    grants,
)
from authlib.oauth2.rfc6749.requests import OAuth2Payload
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from auth.oauth.claims import InvalidAppToken, is_app_token, verify_app_token
from auth.oauth.keys import SigningKeys
from auth.scopes import SCOPES_SUPPORTED, parse_scopes, scope_text
from auth.sessions import hash_secret
from core.settings import Settings
from models.accounts import Membership
from models.apps import AppInstallation, OAuthClient, OAuthCode, OAuthGrant, OAuthRefreshToken
from models.base import utcnow
from models.sync_db import enter_scope_sync
from models.tenancy import Tenant

CODE_TTL = timedelta(minutes=10)
SECRET_FIELDS = ("code", "refresh_token", "token")
"""Form fields whose value's hash may find its own row before the tenant is known."""

current_session: contextvars.ContextVar[Session] = contextvars.ContextVar("oauth_session")


def _db() -> Session:
    return current_session.get()


# --- what authlib calls a client, a user, a code and a token ---------------------------


@dataclass(frozen=True)
class Client(ClientMixin):  # type: ignore[misc]
    pk: uuid.UUID
    client_id: str
    name: str
    client_type: str
    secret_hash: bytes | None
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]

    @classmethod
    def of(cls, row: OAuthClient) -> Client:
        return cls(
            row.id, row.client_id, row.name, row.client_type, row.secret_hash,
            tuple(row.redirect_uris.split()), tuple(row.scopes.split()),
        )  # fmt: skip

    @property
    def confidential(self) -> bool:
        return self.client_type == "confidential"

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if len(self.redirect_uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """Its registered scopes when none are asked for; None (invalid_scope) when one
        asked for is not registered."""
        if not scope:
            return " ".join(self.scopes)
        asked = set(scope.split())
        if not asked <= set(self.scopes):
            return None
        return scope_text(parse_scopes(scope))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris  # exact match, no wildcard

    def check_client_secret(self, client_secret: str) -> bool:
        return self.secret_hash is not None and hmac.compare_digest(
            hash_secret(client_secret), self.secret_hash
        )

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.confidential:
            return method in ("client_secret_basic", "client_secret_post")
        return method == "none" and endpoint in ("token", "revocation")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        allowed = {"authorization_code", "refresh_token"}
        if self.confidential:
            allowed.add("client_credentials")
        return grant_type in allowed


@dataclass(frozen=True)
class Approver:
    """The signed-in member who approves an authorization request, in the
    installation that covers it."""

    user_id: uuid.UUID
    tenant_id: uuid.UUID
    installation_id: uuid.UUID

    def get_user_id(self) -> str:
        return str(self.user_id)


@dataclass(frozen=True)
class ActingUser:
    """Whom issued tokens act for, and the grant (family) they belong to."""

    user_id: uuid.UUID
    tenant_id: uuid.UUID
    installation_id: uuid.UUID
    grant_id: uuid.UUID = field(default_factory=uuid.uuid4)
    new_grant: bool = True

    def get_user_id(self) -> str:
        return str(self.user_id)


@dataclass
class CodeRecord:
    row: OAuthCode

    @property
    def code_challenge(self) -> str:
        return self.row.code_challenge

    @property
    def code_challenge_method(self) -> str:
        return self.row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope


@dataclass
class TokenRecord:
    """An access or refresh token found for revocation or introspection, or a refresh
    token presented to the token endpoint."""

    grant: OAuthGrant
    client_id: str
    installation_revoked: bool
    token_type: str
    issued_at: datetime
    expires_at: datetime
    refresh: OAuthRefreshToken | None = None

    def check_client(self, client: Client) -> bool:
        return client.client_id == self.client_id

    def get_scope(self) -> str:
        return self.grant.scope

    def is_expired(self) -> bool:
        return self.expires_at <= utcnow()

    def is_revoked(self) -> bool:
        return self.grant.revoked_at is not None or self.installation_revoked


# --- storage -------------------------------------------------------------------------


def _load_client(client_id: str) -> Client | None:
    row = (
        _db()
        .execute(
            select(OAuthClient).where(
                col(OAuthClient.client_id) == client_id, col(OAuthClient.revoked_at).is_(None)
            )
        )
        .scalar_one_or_none()
    )
    return None if row is None else Client.of(row)


def _grant_with_client(grant_id: uuid.UUID) -> tuple[OAuthGrant, str, bool] | None:
    row = (
        _db()
        .execute(
            select(OAuthGrant, col(OAuthClient.client_id), col(AppInstallation.revoked_at))
            .join(AppInstallation, col(AppInstallation.id) == OAuthGrant.installation_id)
            .join(OAuthClient, col(OAuthClient.id) == AppInstallation.client_pk)
            .where(col(OAuthGrant.id) == grant_id)
        )
        .first()
    )
    return None if row is None else (row[0], row[1], row[2] is not None)


def revoke_grant(grant_id: uuid.UUID) -> None:
    _db().execute(
        update(OAuthGrant)
        .where(col(OAuthGrant.id) == grant_id, col(OAuthGrant.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )


def _is_member(user_id: uuid.UUID) -> bool:
    return (
        _db().execute(select(col(Membership.id)).where(col(Membership.user_id) == user_id)).first()
        is not None
    )


def _refresh_record(token: str) -> TokenRecord | None:
    """The refresh token presented, found by its hash (in any tenant: the session's
    `session_hash` makes exactly that row visible), with its grant in its tenant."""
    row = (
        _db()
        .execute(
            select(OAuthRefreshToken).where(col(OAuthRefreshToken.token_hash) == hash_secret(token))
        )
        .scalar_one_or_none()
    )
    if row is None:
        return None
    enter_scope_sync(_db(), row.tenant_id, None)
    found = _grant_with_client(row.grant_id)
    if found is None:
        return None
    grant, client_id, installation_revoked = found
    return TokenRecord(
        grant, client_id, installation_revoked, "refresh_token", row.created_at,
        row.expires_at, row,
    )  # fmt: skip


# --- grants ----------------------------------------------------------------------------


class S256CodeChallenge(CodeChallenge):  # type: ignore[misc]
    """PKCE, required, S256 only: a request without a challenge, or with `plain`, is
    refused at the authorization endpoint."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send 'code_challenge' (S256).")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only code_challenge_method=S256 is supported.")
        super().validate_code_challenge(grant, redirect_uri)


_CLIENT_AUTH = ["client_secret_basic", "client_secret_post", "none"]


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = _CLIENT_AUTH

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        approver: Approver = request.user
        data = request.payload.data
        _db().add(
            OAuthCode(
                tenant_id=approver.tenant_id,
                code_hash=hash_secret(code),
                installation_id=approver.installation_id,
                client_id=request.client.client_id,
                user_id=approver.user_id,
                redirect_uri=request.payload.redirect_uri or "",
                scope=request.scope,
                code_challenge=data["code_challenge"],
                code_challenge_method=data["code_challenge_method"],
                expires_at=utcnow() + CODE_TTL,
            )
        )

    def query_authorization_code(self, code: str, client: Client) -> CodeRecord | None:
        row = (
            _db()
            .execute(select(OAuthCode).where(col(OAuthCode.code_hash) == hash_secret(code)))
            .scalar_one_or_none()
        )
        if row is None or row.client_id != client.client_id:
            return None
        enter_scope_sync(_db(), row.tenant_id, row.user_id)
        if row.used_at is not None:  # replayed: what the first use issued is revoked
            if row.grant_id is not None:
                revoke_grant(row.grant_id)
            return None
        if row.expires_at <= utcnow():
            return None
        return CodeRecord(row)

    def delete_authorization_code(self, authorization_code: CodeRecord) -> None:
        authorization_code.row.used_at = utcnow()
        authorization_code.row.grant_id = self.request.user.grant_id

    def authenticate_user(self, authorization_code: CodeRecord) -> ActingUser | None:
        row = authorization_code.row
        installation = _db().get(AppInstallation, row.installation_id)
        if installation is None or installation.revoked_at is not None:
            return None
        if not _is_member(row.user_id):
            return None
        return ActingUser(row.user_id, row.tenant_id, row.installation_id)


class RefreshTokenGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = _CLIENT_AUTH
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation

    def authenticate_refresh_token(self, refresh_token: str) -> TokenRecord | None:
        record = _refresh_record(refresh_token)
        if record is None or record.refresh is None:
            return None
        if record.refresh.used_at is not None:  # a spent token again: revoke the family
            revoke_grant(record.grant.id)
            return None
        if record.is_expired() or record.is_revoked():
            return None
        return record

    def authenticate_user(self, refresh_token: TokenRecord) -> ActingUser | None:
        grant = refresh_token.grant
        if not _is_member(grant.user_id):
            return None
        return ActingUser(
            grant.user_id, grant.tenant_id, grant.installation_id, grant.id, new_grant=False
        )

    def revoke_old_credential(self, refresh_token: TokenRecord) -> None:
        assert refresh_token.refresh is not None
        refresh_token.refresh.used_at = utcnow()


class ClientCredentialsGrant(grants.ClientCredentialsGrant):  # type: ignore[misc]
    """Server-to-server: the app acts in the tenant named by `tenant` (its slug), where
    it must be installed, for the admin who installed it."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def validate_token_request(self) -> None:
        super().validate_token_request()
        slug = self.request.form.get("tenant")
        if not slug:
            raise InvalidRequestError("Missing 'tenant': the slug of the installing tenant.")
        tenant_id = (
            _db()
            .execute(select(col(Tenant.id)).where(col(Tenant.slug) == slug))
            .scalar_one_or_none()
        )
        installation = None
        if tenant_id is not None:
            enter_scope_sync(_db(), tenant_id, None)
            installation = (
                _db()
                .execute(
                    select(AppInstallation).where(
                        col(AppInstallation.client_pk) == self.request.client.pk,
                        col(AppInstallation.revoked_at).is_(None),
                    )
                )
                .scalar_one_or_none()
            )
        if installation is None:  # unknown tenant and no installation answer alike
            raise UnauthorizedClientError("The app is not installed in that tenant.")
        asked = set((self.request.payload.scope or installation.scopes).split())
        if not asked <= set(installation.scopes.split()):
            raise InvalidScopeError("A scope was not granted to this installation.")
        self.installation = installation

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        installation: AppInstallation = self.installation
        if not _is_member(installation.installed_by):
            raise UnauthorizedClientError("The installing member has left the tenant.")
        user = ActingUser(installation.installed_by, installation.tenant_id, installation.id)
        self.request.user = user
        scope = self.request.payload.scope or installation.scopes
        token = self.generate_token(user=user, scope=scope, include_refresh_token=False)
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER


# --- revocation and introspection -----------------------------------------------------


class _TokenLookup:
    server: OAuthServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenRecord | None:
        if is_app_token(token_string):
            return self.server.access_record(token_string)
        return _refresh_record(token_string)


class Revocation(_TokenLookup, RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = _CLIENT_AUTH

    def revoke_token(self, token: TokenRecord, request: OAuth2Request) -> None:
        revoke_grant(token.grant.id)


class Introspection(_TokenLookup, IntrospectionEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def check_permission(self, token: TokenRecord, client: Client, request: Any) -> bool:
        return token.check_client(client)  # an app introspects its own tokens only

    def introspect_token(self, token: TokenRecord) -> dict[str, Any]:
        settings = self.server.settings
        return {
            "active": True,
            "token_type": token.token_type,
            "client_id": token.client_id,
            "scope": token.grant.scope,
            "sub": str(token.grant.user_id),
            "aud": settings.token_audience,
            "iss": settings.app_url,
            "iat": int(token.issued_at.timestamp()),
            "exp": int(token.expires_at.timestamp()),
        }


# --- tokens ----------------------------------------------------------------------------


class AccessTokens(JWTBearerTokenGenerator):  # type: ignore[misc]
    """RFC 9068 access tokens (ES256, `typ: at+jwt`) for the GraphQL API (`aud`), with
    the tenant, installation and grant they belong to; opaque rotating refresh tokens."""

    def __init__(self, settings: Settings, keys: SigningKeys) -> None:
        super().__init__(
            issuer=settings.app_url,
            alg="ES256",
            refresh_token_generator=lambda **_: generate_token(48),
            expires_generator=lambda _client, _grant_type: settings.access_token_ttl_s,
        )
        self._audience = settings.token_audience
        self._keys = keys

    def get_jwks(self) -> Any:
        return self._keys.signing_set()

    def get_audiences(self, client: Any, user: Any, scope: Any) -> str:
        return self._audience

    def get_jti(self, client: Any, grant_type: Any, user: Any, scope: Any) -> str:
        return uuid.uuid4().hex

    def get_extra_claims(
        self, client: Any, grant_type: Any, user: ActingUser, scope: Any
    ) -> dict[str, str]:
        return {
            "tid": str(user.tenant_id),
            "ins": str(user.installation_id),
            "gid": str(user.grant_id),
        }


# --- the server ------------------------------------------------------------------------


class PreparedPayload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, values: list[tuple[str, str]]) -> None:
        self._values = values

    @property
    def data(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for key, value in self._values:
            found.setdefault(key, value)
        return found

    @property
    def datalist(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for key, value in self._values:
            found.setdefault(key, []).append(value)
        return found


class PreparedRequest(OAuth2Request):  # type: ignore[misc]
    """An HTTP request read on the event loop (query, form, headers), handed to the
    worker thread complete, since authlib reads it synchronously."""

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Any,
        query: list[tuple[str, str]],
        form: list[tuple[str, str]],
    ) -> None:
        super().__init__(method, uri, headers=headers)
        self._args = dict(query)
        self._form = dict(form)
        self.payload = PreparedPayload(query + form)

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form

    def secret_hash(self) -> bytes | None:
        """The hash of the code or token this request presents, if any."""
        for name in SECRET_FIELDS:
            value = self._form.get(name)
            if value:
                return hash_secret(value)
        return None


@dataclass(frozen=True)
class OAuthResponse:
    status: int
    body: dict[str, Any] | str
    headers: list[tuple[str, str]]


class OAuthServer(AuthorizationServer):  # type: ignore[misc]
    def __init__(self, settings: Settings, keys: SigningKeys) -> None:
        super().__init__(scopes_supported=list(SCOPES_SUPPORTED))
        self.settings = settings
        self.keys = keys
        self.register_token_generator("default", AccessTokens(settings, keys))
        self.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(required=True)])
        self.register_grant(RefreshTokenGrant)
        self.register_grant(ClientCredentialsGrant)
        self.register_endpoint(Revocation)
        self.register_endpoint(Introspection)

    def query_client(self, client_id: str) -> Client | None:
        return _load_client(client_id)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        user: ActingUser = request.user
        now = utcnow()
        if user.new_grant:
            lifetime = (
                self.settings.refresh_token_ttl_s
                if "refresh_token" in token
                else self.settings.access_token_ttl_s
            )
            _db().add(
                OAuthGrant(
                    id=user.grant_id,
                    tenant_id=user.tenant_id,
                    installation_id=user.installation_id,
                    user_id=user.user_id,
                    grant_type=request.payload.grant_type,
                    scope=token.get("scope", ""),
                    expires_at=now + timedelta(seconds=lifetime),
                )
            )
            _db().flush()
        if "refresh_token" in token:
            _db().add(
                OAuthRefreshToken(
                    tenant_id=user.tenant_id,
                    grant_id=user.grant_id,
                    token_hash=hash_secret(token["refresh_token"]),
                    expires_at=now + timedelta(seconds=self.settings.refresh_token_ttl_s),
                )
            )

    def access_record(self, token: str) -> TokenRecord | None:
        """A JWT access token this server signed (and not expired), with its grant."""
        try:
            claims = verify_app_token(
                self.keys, token, issuer=self.settings.app_url,
                audience=self.settings.token_audience,
            )  # fmt: skip
        except InvalidAppToken:
            return None
        enter_scope_sync(_db(), claims.tenant_id, None)
        found = _grant_with_client(claims.grant_id)
        if found is None:
            return None
        grant, client_id, installation_revoked = found
        if client_id != claims.client_id:
            return None
        return TokenRecord(
            grant, client_id, installation_revoked, "access_token",
            datetime.fromtimestamp(claims.issued_at, UTC),
            datetime.fromtimestamp(claims.expires_at, UTC),
        )  # fmt: skip

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        return request

    def create_json_request(self, request: Any) -> Any:
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> OAuthResponse:
        return OAuthResponse(status, body, list(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None
