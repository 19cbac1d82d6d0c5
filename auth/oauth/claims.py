"""App access tokens as the GraphQL endpoint sees them: JWTs in the RFC 9068 profile
(`typ: at+jwt`, `iss`, `aud`, `sub`, `client_id`, `scope`, `exp`, `iat`, `jti`) plus the
tenant (`tid`), installation (`ins`) and grant (`gid`) they belong to (issue 12).

Verification is the signature (ES256 only, a published key: auth/oauth/keys.py), the
header's `typ` and the claims; the grant's and installation's revocation and the
user's current role are read in the request's own transaction (auth/oauth/resource.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any

from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jws import extract_compact
from joserfc.jwt import ClaimsOption

from auth.oauth.keys import SigningKeys
from auth.tokens import ALGORITHM
from privacy.purposes import Purpose

AT_JWT = "at+jwt"
ESSENTIAL: ClaimsOption = {"essential": True}


class InvalidAppToken(Exception):
    """Not an app access token this server issued, or expired."""


class AppTokenExpired(InvalidAppToken):
    """A genuine app access token past its expiry: the app should refresh it."""


@dataclass(frozen=True)
class AppCredential:
    """A verified app access token, with the purpose the request declares."""

    user_id: uuid.UUID
    tenant_id: uuid.UUID
    client_id: str
    installation_id: uuid.UUID
    grant_id: uuid.UUID
    scope: str
    purpose: Purpose | None = None
    issued_at: int = 0
    expires_at: int = 0


def is_app_token(token: str) -> bool:
    """Whether a bearer token claims the RFC 9068 profile (its header, unverified)."""
    try:
        header = extract_compact(token.encode()).protected
    except (JoseError, ValueError):
        return False
    return _profiled(header)


def _profiled(header: dict[str, Any]) -> bool:
    """`typ: at+jwt` (or its media type), RFC 9068 section 2.1."""
    return str(header.get("typ", "")).lower() in (AT_JWT, "application/" + AT_JWT)


@cache
def _registry(issuer: str, audience: str) -> jwt.JWTClaimsRegistry:
    return jwt.JWTClaimsRegistry(
        leeway=5,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": audience},
        exp=ESSENTIAL, sub=ESSENTIAL, client_id=ESSENTIAL, jti=ESSENTIAL,
        tid=ESSENTIAL, gid=ESSENTIAL, ins=ESSENTIAL,
    )  # fmt: skip


def verify_app_token(
    keys: SigningKeys, token: str, *, issuer: str, audience: str, purpose: Purpose | None = None
) -> AppCredential:
    try:
        decoded = jwt.decode(token, keys.verification_set(), algorithms=[ALGORITHM])
        if not _profiled(decoded.header):
            raise InvalidAppToken("not an access token")
        _registry(issuer, audience).validate(decoded.claims)
        claims = decoded.claims
        return AppCredential(
            user_id=uuid.UUID(claims["sub"]),
            tenant_id=uuid.UUID(claims["tid"]),
            client_id=str(claims["client_id"]),
            installation_id=uuid.UUID(claims["ins"]),
            grant_id=uuid.UUID(claims["gid"]),
            scope=str(claims.get("scope") or ""),
            purpose=purpose,
            issued_at=int(claims.get("iat") or 0),
            expires_at=int(claims["exp"]),
        )
    except InvalidAppToken:
        raise
    except ExpiredTokenError as exc:
        raise AppTokenExpired(str(exc)) from exc
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise InvalidAppToken(str(exc)) from exc
