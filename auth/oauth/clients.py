"""Registration of partner apps by their developers (issue 12).

A confidential client (a server that keeps a secret) or a public one (a browser or
native app: PKCE, no secret). Redirect URIs are exact strings, compared exactly at the
authorization endpoint: no wildcard, no fragment, https in production (http is allowed
in development and tests, where the server runs without TLS). The client secret is 256
random bits shown once; only its SHA-256 is stored (like session secrets), which is
enough for a value nobody can guess.

Trusted documents: the operations an app registers, found by the SHA-256 of their
text (hex, as Apollo's and urql's persisted-query links send
`extensions.persistedQuery.sha256Hash`).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from graphql import GraphQLSyntaxError, parse
from sqlalchemy.ext.asyncio import AsyncSession

from auth.scopes import SCOPES_SUPPORTED, parse_scopes, scope_text
from auth.sessions import hash_secret
from models.apps import OAuthClient, TrustedDocument

CLIENT_TYPES = ("confidential", "public")


class RegistrationError(ValueError):
    """An app registration that cannot be accepted; the message says why."""


def check_redirect_uri(uri: str, *, production: bool) -> str:
    parts = urlsplit(uri)
    if "*" in uri or parts.fragment or not parts.netloc:
        raise RegistrationError(f"redirect URI {uri!r}: an absolute URI, no wildcard or fragment")
    allowed = ("https",) if production else ("https", "http")
    if parts.scheme not in allowed:
        raise RegistrationError(f"redirect URI {uri!r}: must use https")
    return uri


def check_scopes(scopes: list[str]) -> str:
    unknown = sorted(set(scopes) - set(SCOPES_SUPPORTED))
    if unknown or not scopes:
        raise RegistrationError(
            f"scopes must be among {', '.join(SCOPES_SUPPORTED)}; unknown: {', '.join(unknown)}"
        )
    return scope_text(parse_scopes(" ".join(scopes)))


@dataclass(frozen=True)
class Registered:
    client: OAuthClient
    secret: str | None
    """Shown once: only its hash is stored."""


async def register_client(
    session: AsyncSession,
    *,
    developer_id: uuid.UUID,
    name: str,
    client_type: str,
    redirect_uris: list[str],
    scopes: list[str],
    production: bool,
) -> Registered:
    if client_type not in CLIENT_TYPES:
        raise RegistrationError("client type must be confidential or public")
    if not name.strip() or len(name) > 120:
        raise RegistrationError("the app needs a name of at most 120 characters")
    uris = [check_redirect_uri(uri, production=production) for uri in redirect_uris]
    if client_type == "public" and not uris:
        raise RegistrationError("a public client needs at least one redirect URI")
    secret = secrets.token_urlsafe(32) if client_type == "confidential" else None
    client = OAuthClient(
        client_id="ll_" + secrets.token_urlsafe(16),
        name=name.strip(),
        developer_id=developer_id,
        client_type=client_type,
        secret_hash=hash_secret(secret) if secret else None,
        redirect_uris="\n".join(dict.fromkeys(uris)),
        scopes=check_scopes(scopes),
    )
    session.add(client)
    await session.flush()
    return Registered(client, secret)


def document_hash(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


async def add_trusted_document(
    session: AsyncSession, client: OAuthClient, *, name: str, document: str
) -> TrustedDocument:
    try:
        parse(document)
    except GraphQLSyntaxError as exc:
        raise RegistrationError(f"document {name!r} is not valid GraphQL: {exc.message}") from exc
    row = TrustedDocument(
        client_pk=client.id, sha256=document_hash(document), name=name, document=document
    )
    session.add(row)
    await session.flush()
    return row
