"""Signed, expiring download links for export packages (policy section 9).

A link names the export, its tenant, its privacy request and an expiry time, and
carries an HMAC-SHA256 over all four with the server's export-link key (derived from
the master key, core/settings.py). Checked with a constant-time comparison; a link for
another tenant, request or export, an expired one and a forged one all fail alike.
Written by hand (a dozen lines of `hmac`): no signing library is a dependency, and
itsdangerous would add a format without adding anything here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

NO_REQUEST = "-"


@dataclass(frozen=True)
class LinkClaims:
    export_id: uuid.UUID
    tenant_id: uuid.UUID
    request_id: uuid.UUID | None
    expires: int
    """Unix time after which the link no longer works."""


def _message(claims: LinkClaims) -> bytes:
    request = NO_REQUEST if claims.request_id is None else str(claims.request_id)
    return f"export|{claims.export_id}|{claims.tenant_id}|{request}|{claims.expires}".encode()


def signature(key: bytes, claims: LinkClaims) -> str:
    digest = hmac.new(key, _message(claims), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def download_path(key: bytes, claims: LinkClaims) -> str:
    """`/exports/<id>/download?...`: the path and query of the link."""
    query = urlencode(
        {
            "tenant": str(claims.tenant_id),
            "request": NO_REQUEST if claims.request_id is None else str(claims.request_id),
            "expires": str(claims.expires),
            "signature": signature(key, claims),
        }
    )
    return f"/exports/{claims.export_id}/download?{query}"


def _uuid(text: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(text or "")
    except ValueError:
        return None


def verified_claims(
    key: bytes, export_id: str, params: dict[str, str], now: datetime
) -> LinkClaims | None:
    """The link's claims if its signature is right and it has not expired, else None
    (one answer for every way a link can be wrong)."""
    export, tenant = _uuid(export_id), _uuid(params.get("tenant"))
    request_text = params.get("request", "")
    request = None if request_text == NO_REQUEST else _uuid(request_text)
    expires_text = params.get("expires", "")
    if export is None or tenant is None or not expires_text.isdigit():
        return None
    if request is None and request_text != NO_REQUEST:
        return None
    claims = LinkClaims(export, tenant, request, int(expires_text))
    expected = signature(key, claims)
    if not hmac.compare_digest(expected.encode(), params.get("signature", "").encode()):
        return None
    if claims.expires <= now.timestamp():
        return None
    return claims
