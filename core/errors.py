"""Typed, stable error codes: every bad input gets one in `extensions.code`.

Clients branch on the code, never on the message. Another tenant's object and a
missing one produce the same NOT_FOUND, byte for byte (policy section 4).
"""

from __future__ import annotations

import enum
from typing import Any

from graphql import GraphQLError


class Code(enum.Enum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    CONFLICT = "CONFLICT"
    AGE_REQUIREMENT_NOT_MET = "AGE_REQUIREMENT_NOT_MET"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    LAST_OWNER = "LAST_OWNER"
    FILTER_NOT_PERMITTED = "FILTER_NOT_PERMITTED"
    PURPOSE_NOT_ALLOWED = "PURPOSE_NOT_ALLOWED"
    RATE_LIMITED = "RATE_LIMITED"
    INVITATION_INVALID = "INVITATION_INVALID"
    PRIVACY_REQUEST_CLOSED = "PRIVACY_REQUEST_CLOSED"
    IDENTITY_NOT_VERIFIED = "IDENTITY_NOT_VERIFIED"
    EXTENSION_REFUSED = "EXTENSION_REFUSED"
    PRIVACY_REQUEST_LINK_INVALID = "PRIVACY_REQUEST_LINK_INVALID"
    LEGAL_HOLD = "LEGAL_HOLD"
    SUPPRESSED = "SUPPRESSED"
    NOT_AN_ACCESS_REQUEST = "NOT_AN_ACCESS_REQUEST"
    EXPORT_NO_SUBJECT = "EXPORT_NO_SUBJECT"
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    TRUSTED_DOCUMENT_REQUIRED = "TRUSTED_DOCUMENT_REQUIRED"
    ACCOUNT_SUSPENDED = "ACCOUNT_SUSPENDED"
    ACCOUNT_LINK_INVALID = "ACCOUNT_LINK_INVALID"
    RETENTION_OUT_OF_BOUNDS = "RETENTION_OUT_OF_BOUNDS"
    TRASH_PERIOD_ENDED = "TRASH_PERIOD_ENDED"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


class AppError(GraphQLError):
    """An expected failure whose message is safe to show."""

    def __init__(self, code: Code, message: str, **extra: Any) -> None:
        super().__init__(message, extensions={"code": code.value, **extra})
        self.code = code


def not_found(kind: str = "object") -> AppError:
    return AppError(Code.NOT_FOUND, f"No {kind} with this id.")


def unauthenticated() -> AppError:
    return AppError(Code.UNAUTHENTICATED, "Sign in to use this operation.")


def forbidden(what: str) -> AppError:
    return AppError(Code.FORBIDDEN, f"Your role may not {what}.")


def bad_input(message: str, field: str | None = None) -> AppError:
    extra = {"field": field} if field else {}
    return AppError(Code.BAD_USER_INPUT, message, **extra)
