"""Encryption of personal data at rest (policy section 8).

Envelope encryption with `cryptography`'s AES-GCM: each tenant has a random 256-bit
data key, stored only wrapped (AES-GCM) by a master key from configuration. Values are
bound to their tenant through the associated data, so a ciphertext copied into another
tenant's row does not decrypt. Equality lookups use a keyed blind index (HMAC-SHA256
with a key derived from the data key), so destroying the data key also destroys the
index: crypto-shredding.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid
from datetime import date
from typing import overload

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
VERSION = b"\x01"


class KeyUnavailableError(RuntimeError):
    """The data key is gone (shredded) or cannot be unwrapped."""


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def wrap_key(master_key: bytes, data_key: bytes, owner: uuid.UUID) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return VERSION + nonce + AESGCM(master_key).encrypt(nonce, data_key, b"dek:" + owner.bytes)


def unwrap_key(master_key: bytes, wrapped: bytes, owner: uuid.UUID) -> bytes:
    if wrapped[:1] != VERSION:
        raise KeyUnavailableError("unknown wrapped-key format")
    nonce, body = wrapped[1 : 1 + NONCE_BYTES], wrapped[1 + NONCE_BYTES :]
    try:
        return AESGCM(master_key).decrypt(nonce, body, b"dek:" + owner.bytes)
    except Exception as exc:  # InvalidTag: wrong master key or tampered row
        raise KeyUnavailableError("data key cannot be unwrapped") from exc


def _derive(data_key: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=label).derive(data_key)


class TenantCipher:
    """Encrypts and decrypts one tenant's personal-data values."""

    __slots__ = ("_aead", "_aad", "_index_key", "owner")

    def __init__(self, data_key: bytes, owner: uuid.UUID) -> None:
        self.owner = owner
        self._aead = AESGCM(_derive(data_key, b"ledgerline/values"))
        self._aad = owner.bytes
        self._index_key = _derive(data_key, b"ledgerline/blind-index")

    @overload
    def encrypt(self, value: str) -> bytes: ...
    @overload
    def encrypt(self, value: str | None) -> bytes | None: ...
    def encrypt(self, value: str | None) -> bytes | None:
        if value is None:
            return None
        nonce = os.urandom(NONCE_BYTES)
        return VERSION + nonce + self._aead.encrypt(nonce, value.encode(), self._aad)

    @overload
    def decrypt(self, blob: bytes) -> str: ...
    @overload
    def decrypt(self, blob: bytes | None) -> str | None: ...
    def decrypt(self, blob: bytes | None) -> str | None:
        if blob is None:
            return None
        return self._aead.decrypt(
            blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :], self._aad
        ).decode()

    def encrypt_date(self, value: date | None) -> bytes | None:
        return None if value is None else self.encrypt(value.isoformat())

    def decrypt_date(self, blob: bytes | None) -> date | None:
        text = self.decrypt(blob)
        return None if text is None else date.fromisoformat(text)

    @overload
    def blind_index(self, value: str) -> bytes: ...
    @overload
    def blind_index(self, value: str | None) -> bytes | None: ...
    def blind_index(self, value: str | None) -> bytes | None:
        """Keyed, normalised equality index: the same email in two tenants differs."""
        if value is None:
            return None
        normalised = value.strip().lower().encode()
        return hmac.new(self._index_key, normalised, hashlib.sha256).digest()[:16]
