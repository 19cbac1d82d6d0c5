"""Short-lived signed access tokens (JWT, ES256, with `kid`, issuer, audience, expiry).

joserfc (authlib's JOSE successor) signs and verifies; the claims registry checks
expiry, not-before, issuer and audience explicitly. Only ES256 is accepted, which
refuses `alg: none` and HMAC key confusion.

A verified token is remembered (a bounded LRU keyed by the whole token, each entry
dropped at the token's expiry) so that an API client's every request does not pay for
ES256 verification again (issue 13: 7% of a small request). Only what the signature
proves is remembered, which cannot change while the token lives; whether its session
is still signed in and what role its member holds now are read from the database on
every request (auth/sessions.py), so a sign-out or a role change never depends on
this cache. A token that fails verification is never remembered.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass

from cachetools import TLRUCache
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import ECKey

ALGORITHM = "ES256"
VERIFIED_CACHE_SIZE = 4096
"""Verified tokens remembered, at most (about 1 KB each: a few MB in all)."""


class InvalidTokenError(Exception):
    pass


class TokenExpiredError(InvalidTokenError):
    """A genuine token past its expiry: the client should sign in again (told apart
    over HTTP by `WWW-Authenticate: Bearer error_description="expired"`)."""


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    session_id: uuid.UUID
    role: str


def key_id(key: ECKey) -> str:
    """The `kid` of a key: a digest of its public half, stable across restarts."""
    public = key.as_dict(private=False)
    return hashlib.sha256(repr(sorted(public.items())).encode()).hexdigest()[:16]


class TokenIssuer:
    def __init__(
        self,
        private_key_pem: str,
        issuer: str,
        audience: str,
        ttl_s: int,
        cache_size: int = VERIFIED_CACHE_SIZE,
    ) -> None:
        self._key = ECKey.import_key(private_key_pem)
        self.kid = key_id(self._key)
        self._issuer = issuer
        self._audience = audience
        self.ttl_s = ttl_s
        self._registry = jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            sub={"essential": True},
            tid={"essential": True},
            sid={"essential": True},
            leeway=5,
        )
        self._verified: TLRUCache[str, tuple[AccessClaims, float]] = TLRUCache(
            maxsize=cache_size, ttu=_until_expiry, timer=_wall_clock
        )

    def public_jwk(self) -> dict[str, object]:
        return {**self._key.as_dict(private=False), "kid": self.kid, "alg": ALGORITHM, "use": "sig"}

    def issue(self, claims: AccessClaims, now: float | None = None) -> str:
        now = time.time() if now is None else now
        payload = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": str(claims.user_id),
            "tid": str(claims.tenant_id),
            "sid": str(claims.session_id),
            "role": claims.role,
            "iat": int(now),
            "nbf": int(now),
            "exp": int(now) + self.ttl_s,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode({"alg": ALGORITHM, "kid": self.kid, "typ": "JWT"}, payload, self._key)

    def verify(self, token: str) -> AccessClaims:
        """The claims of a valid token; InvalidTokenError otherwise. A token verified
        before and not yet expired is answered from memory."""
        remembered = self._verified.get(token)
        if remembered is not None:
            return remembered[0]
        claims, expires_at = self._verify_signed(token)
        self._verified[token] = (claims, expires_at)
        return claims

    def _verify_signed(self, token: str) -> tuple[AccessClaims, float]:
        try:
            decoded = jwt.decode(token, self._key, algorithms=[ALGORITHM])
            if decoded.header.get("kid") != self.kid:
                raise InvalidTokenError("unknown signing key")
            self._registry.validate(decoded.claims)
            claims = decoded.claims
            verified = AccessClaims(
                user_id=uuid.UUID(claims["sub"]),
                tenant_id=uuid.UUID(claims["tid"]),
                session_id=uuid.UUID(claims["sid"]),
                role=str(claims.get("role", "")),
            )
            return verified, float(claims["exp"])
        except InvalidTokenError:
            raise
        except ExpiredTokenError as exc:
            raise TokenExpiredError(str(exc)) from exc
        except (JoseError, ValueError, KeyError, TypeError) as exc:
            raise InvalidTokenError(str(exc)) from exc


def _wall_clock() -> float:
    return time.time()  # looked up at each call: the same clock as joserfc's expiry check


def _until_expiry(_token: str, value: tuple[AccessClaims, float], _now: float) -> float:
    """A remembered token is forgotten at its `exp` (no leeway: past it the token is
    verified again, and refused once the leeway is spent too)."""
    return value[1]
