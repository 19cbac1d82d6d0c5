"""Signing keys of app access tokens and the JWKS that publishes them (issue 12).

The current key is the server's signing key (LEDGERLINE_SIGNING_KEY, ES256). A
rotation lists the replaced key in LEDGERLINE_RETIRED_SIGNING_KEYS with the time it
was retired: its public half stays in `/oauth/jwks`, and tokens it signed stay
verifiable, until the longest-lived access token it could have signed has expired;
after that it is neither served nor accepted.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass

from joserfc.jwk import ECKey, Key, KeySet

from auth.tokens import ALGORITHM, key_id
from core.settings import Settings


@dataclass(frozen=True)
class _Retired:
    key: ECKey
    retired_at: float


def _with_kid(key: ECKey) -> ECKey:
    return ECKey.import_key(
        key.as_dict(private=key.is_private),
        parameters={"kid": key_id(key), "alg": ALGORITHM, "use": "sig"},
    )


def _retired(entry: str) -> _Retired:
    when, _, pem = entry.partition(":")
    return _Retired(_with_kid(ECKey.import_key(base64.b64decode(pem).decode())), float(when))


class SigningKeys:
    def __init__(self, current_pem: str, retired: tuple[str, ...], ttl_s: int) -> None:
        self.current = _with_kid(ECKey.import_key(current_pem))
        self._retired = tuple(_retired(entry) for entry in retired)
        self._ttl_s = ttl_s

    @classmethod
    def from_settings(cls, settings: Settings) -> SigningKeys:
        return cls(
            settings.signing_key_pem, settings.retired_signing_keys, settings.access_token_ttl_s
        )

    def signing_set(self) -> KeySet:
        """The one key new tokens are signed with (joserfc names it by `kid`)."""
        return KeySet([self.current])

    def published(self, now: float | None = None) -> list[Key]:
        """The current key and every retired key whose tokens may still be unexpired."""
        now = time.time() if now is None else now
        alive: list[Key] = [r.key for r in self._retired if r.retired_at + self._ttl_s > now]
        return [self.current, *alive]

    def verification_set(self, now: float | None = None) -> KeySet:
        return KeySet(self.published(now))

    def jwks(self, now: float | None = None) -> dict[str, object]:
        return {"keys": [key.as_dict(private=False) for key in self.published(now)]}
