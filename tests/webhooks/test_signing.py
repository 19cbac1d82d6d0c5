"""Standard Webhooks signatures (issue 12), verified by the independent
`standardwebhooks` library, not by the code that signed."""

from __future__ import annotations

import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from privacy.webhooks.signing import headers, new_secret


def test_a_signature_verifies_with_the_standard_webhooks_library():
    secret, body = new_secret(), b'{"type":"contact.created"}'
    signed = headers(secret, "msg_1", int(time.time()), body)
    assert Webhook(secret).verify(body, signed) == {"type": "contact.created"}


def test_another_secret_does_not_verify():
    body = b"{}"
    signed = headers(new_secret(), "msg_1", int(time.time()), body)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, signed)


def test_secrets_are_whsec_and_distinct():
    first, second = new_secret(), new_secret()
    assert first.startswith("whsec_") and first != second
