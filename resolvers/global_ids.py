"""Opaque global ids (`node(id:)`): a type name and a random UUID, base64url-encoded.

Decoding says nothing about existence; an id of another tenant decodes like any other
and then is simply not found inside the caller's tenant.
"""

from __future__ import annotations

import base64
import binascii
import uuid

from core.errors import not_found


def encode_id(type_name: str, row_id: uuid.UUID) -> str:
    raw = f"{type_name}:{row_id.hex}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_id(global_id: str, expected: str | None = None) -> tuple[str, uuid.UUID]:
    """(type name, uuid); NOT_FOUND for anything malformed or of another type."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, hex_id = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        row_id = uuid.UUID(hex=hex_id)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise not_found(expected.lower() if expected else "object") from exc
    if expected is not None and type_name != expected:
        raise not_found(expected.lower())
    return type_name, row_id


def try_decode(global_id: str, expected: str) -> uuid.UUID | None:
    try:
        return decode_id(global_id, expected)[1]
    except Exception:
        return None
