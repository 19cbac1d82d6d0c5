"""Trusted documents of partner apps (issue 12): the operations an app registered, by
the SHA-256 of their text, in the persisted-query format Apollo's and urql's links send
(`extensions.persistedQuery.sha256Hash`).

An app may send the hash alone: the registered text is run (an unknown hash answers
PERSISTED_QUERY_NOT_FOUND, on which those links resend with the text). An
installation restricted to trusted documents runs nothing else: any other text answers
TRUSTED_DOCUMENT_REQUIRED before execution.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from sqlalchemy import select
from sqlmodel import col

from auth.oauth.claims import AppCredential
from auth.oauth.clients import document_hash
from auth.principal import Principal
from core.errors import AppError, Code
from core.services import Services
from models.apps import OAuthClient, TrustedDocument


def persisted_hash(extensions: dict[str, Any] | None) -> str | None:
    persisted = (extensions or {}).get("persistedQuery")
    if isinstance(persisted, dict) and isinstance(persisted.get("sha256Hash"), str):
        return str(persisted["sha256Hash"]).lower()
    return None


async def registered_document(
    services: Services, credential: AppCredential, sha256: str
) -> str | None:
    """The text the app registered under `sha256`, if any."""
    async with services.db.session(None) as session:
        return (
            await session.execute(
                select(col(TrustedDocument.document))
                .join(OAuthClient, col(OAuthClient.id) == TrustedDocument.client_pk)
                .where(
                    col(OAuthClient.client_id) == credential.client_id,
                    col(TrustedDocument.sha256) == sha256,
                )
            )
        ).scalar_one_or_none()


def not_found() -> GraphQLError:
    return AppError(Code.PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound")


def untrusted(principal: Principal | None, query: str | None) -> GraphQLError | None:
    """The refusal of an operation the app's installation does not allow, if so."""
    if principal is None or principal.trusted_documents is None or query is None:
        return None
    if document_hash(query) in principal.trusted_documents:
        return None
    return AppError(
        Code.TRUSTED_DOCUMENT_REQUIRED,
        "This app may run only the operations it registered (trusted documents).",
    )
