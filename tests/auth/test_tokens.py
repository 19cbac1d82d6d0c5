"""Access tokens: real EC keys, real JWTs, one failure mode per test (Authlib style)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from auth.tokens import AccessClaims, InvalidTokenError, TokenIssuer
from core.settings import _new_signing_key

ISSUER = "ledgerline"
AUDIENCE = "ledgerline-api"
CLAIMS = AccessClaims(
    user_id=uuid.uuid4(), tenant_id=uuid.uuid4(), session_id=uuid.uuid4(), role="sales"
)


@pytest.fixture(scope="module")
def private_pem() -> str:
    return _new_signing_key()


@pytest.fixture
def issuer(private_pem: str) -> TokenIssuer:
    return TokenIssuer(private_pem, ISSUER, AUDIENCE, ttl_s=900)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def payload(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(CLAIMS.user_id),
        "tid": str(CLAIMS.tenant_id),
        "sid": str(CLAIMS.session_id),
        "role": CLAIMS.role,
        "iat": now,
        "nbf": now,
        "exp": now + 900,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def signed(pem: str, kid: str, **overrides: object) -> str:
    key = ECKey.import_key(pem)
    return jwt.encode({"alg": "ES256", "kid": kid, "typ": "JWT"}, payload(**overrides), key)


def test_a_token_it_issued_verifies(issuer):
    assert issuer.verify(issuer.issue(CLAIMS)) == CLAIMS


def test_a_token_with_another_issuer_is_refused(issuer, private_pem):
    other = TokenIssuer(private_pem, "someone-else", AUDIENCE, ttl_s=900)
    with pytest.raises(InvalidTokenError):
        issuer.verify(other.issue(CLAIMS))


def test_a_token_for_another_audience_is_refused(issuer, private_pem):
    other = TokenIssuer(private_pem, ISSUER, "another-api", ttl_s=900)
    with pytest.raises(InvalidTokenError):
        issuer.verify(other.issue(CLAIMS))


def test_an_expired_token_is_refused(issuer):
    token = issuer.issue(CLAIMS, now=time.time() - 3600)
    with pytest.raises(InvalidTokenError):
        issuer.verify(token)


def test_a_token_not_yet_valid_is_refused(issuer, private_pem):
    future = int(time.time()) + 3600
    token = signed(private_pem, issuer.kid, nbf=future, exp=future + 900)
    with pytest.raises(InvalidTokenError, match="not yet valid"):
        issuer.verify(token)


def test_a_token_issued_in_the_future_is_refused(issuer, private_pem):
    future = int(time.time()) + 3600
    token = signed(private_pem, issuer.kid, iat=future, exp=future + 900)
    with pytest.raises(InvalidTokenError, match="issued in the future"):
        issuer.verify(token)


def test_a_token_without_expiry_is_refused(issuer, private_pem):
    with pytest.raises(InvalidTokenError):
        issuer.verify(signed(private_pem, issuer.kid, exp=None))


def test_a_token_without_tenant_is_refused(issuer, private_pem):
    with pytest.raises(InvalidTokenError):
        issuer.verify(signed(private_pem, issuer.kid, tid=None))


def test_an_unsigned_alg_none_token_is_refused(issuer):
    header = b64(json.dumps({"alg": "none", "kid": issuer.kid, "typ": "JWT"}).encode())
    body = b64(json.dumps(payload()).encode())
    for token in (f"{header}.{body}.", f"{header}.{body}"):
        with pytest.raises(InvalidTokenError):
            issuer.verify(token)


def test_an_hs256_token_signed_with_the_public_key_is_refused(issuer):
    """Key confusion: an HMAC "signed" with the public key a verifier might accept."""
    public_pem = ECKey.import_key(issuer.public_jwk()).as_pem(private=False)
    header = b64(json.dumps({"alg": "HS256", "kid": issuer.kid, "typ": "JWT"}).encode())
    body = b64(json.dumps(payload()).encode())
    mac = hmac.new(public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
    with pytest.raises(InvalidTokenError):
        issuer.verify(f"{header}.{body}.{b64(mac)}")


def test_a_token_with_an_unknown_kid_is_refused(issuer, private_pem):
    with pytest.raises(InvalidTokenError):
        issuer.verify(signed(private_pem, "not-our-key"))


def test_a_token_signed_by_another_key_is_refused(issuer):
    """Even when it claims our kid."""
    with pytest.raises(InvalidTokenError):
        issuer.verify(signed(_new_signing_key(), issuer.kid))


def test_a_token_with_a_tampered_payload_is_refused(issuer):
    header, body, signature = issuer.issue(CLAIMS).split(".")
    claims = json.loads(unb64(body))
    claims["role"] = "owner"
    tampered = f"{header}.{b64(json.dumps(claims).encode())}.{signature}"
    with pytest.raises(InvalidTokenError):
        issuer.verify(tampered)


def test_a_token_with_a_tampered_signature_is_refused(issuer):
    header, body, signature = issuer.issue(CLAIMS).split(".")
    raw = bytearray(unb64(signature))
    raw[0] ^= 0x01
    with pytest.raises(InvalidTokenError):
        issuer.verify(f"{header}.{body}.{b64(bytes(raw))}")


@pytest.mark.parametrize("garbage", ["", "a.b", "a.b.c", "not a token", "..."])
def test_malformed_tokens_are_refused(issuer, garbage):
    with pytest.raises(InvalidTokenError):
        issuer.verify(garbage)


class DecodeSpy:
    """Counts signature verifications (joserfc's `jwt.decode`)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import auth.tokens

        self.calls = 0
        real = auth.tokens.jwt.decode

        def counting(*args: object, **kwargs: object) -> object:
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(auth.tokens.jwt, "decode", counting)


def test_a_verified_token_is_not_verified_again_while_it_lives(issuer, monkeypatch):
    token = issuer.issue(CLAIMS)
    spy = DecodeSpy(monkeypatch)
    assert issuer.verify(token) == CLAIMS
    assert issuer.verify(token) == CLAIMS
    assert spy.calls == 1


def test_a_remembered_token_is_refused_once_it_expires(issuer, monkeypatch):
    now = time.time()
    token = issuer.issue(CLAIMS, now=now)
    assert issuer.verify(token) == CLAIMS
    monkeypatch.setattr(time, "time", lambda: now + issuer.ttl_s + 60)
    with pytest.raises(InvalidTokenError):
        issuer.verify(token)


def test_a_refused_token_is_never_remembered(issuer, monkeypatch):
    token = issuer.issue(CLAIMS, now=time.time() - 3600)
    spy = DecodeSpy(monkeypatch)
    for _ in range(2):
        with pytest.raises(InvalidTokenError):
            issuer.verify(token)
    assert spy.calls == 2


def test_the_remembered_tokens_are_bounded(private_pem, monkeypatch):
    issuer = TokenIssuer(private_pem, ISSUER, AUDIENCE, ttl_s=900, cache_size=2)
    first, second, third = (issuer.issue(CLAIMS) for _ in range(3))
    spy = DecodeSpy(monkeypatch)
    for token in (first, second, third, first):
        issuer.verify(token)
    assert spy.calls == 4  # the first was forgotten when the third came
