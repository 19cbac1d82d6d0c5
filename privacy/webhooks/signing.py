"""Standard Webhooks signatures (https://www.standardwebhooks.com): the secret is
`whsec_` + base64 of 32 random bytes; the signature is `v1,` + base64 of
HMAC-SHA256(secret, "{webhook-id}.{webhook-timestamp}.{body}").

Written by hand (a few lines of hmac) so the tests can verify it with the independent
`standardwebhooks` library rather than with the code that signed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }
