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

from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jws import extract_compact

from auth.oauth.keys import SigningKeys
from auth.tokens import ALGORITHM
from privacy.purposes import Purpose

AT_JWT = "at+jwt"


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
    return str(header.get("typ", "")).lower() in (AT_JWT, "application/" + AT_JWT)


def verify_app_token(
    keys: SigningKeys, token: str, *, issuer: str, audience: str, purpose: Purpose | None = None
) -> AppCredential:
    registry = jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": audience},
        exp={"essential": True},
        sub={"essential": True},
        client_id={"essential": True},
        jti={"essential": True},
        tid={"essential": True},
        gid={"essential": True},
        ins={"essential": True},
        leeway=5,
    )
    try:
        decoded = jwt.decode(token, keys.verification_set(), algorithms=[ALGORITHM])
        if str(decoded.header.get("typ", "")).lower() not in (AT_JWT, "application/" + AT_JWT):
            raise InvalidAppToken("not an access token")
        registry.validate(decoded.claims)
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
