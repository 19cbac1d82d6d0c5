"""Outbound requests only to public addresses (issue 12: no SSRF to private ranges or
metadata endpoints). The host is resolved first and every address it resolves to
must be global: private, loopback, link-local (169.254.169.254 included), unique-local,
multicast, reserved and unspecified addresses are refused, IPv4-mapped IPv6 by their
IPv4 address. Loopback (127.0.0.1, ::1) is allowed only when the caller says so (the
`LEDGERLINE_WEBHOOK_ALLOW_LOOPBACK` setting, never in production); https is required
except to such an allowed loopback receiver."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeURL(ValueError):
    """The URL may not receive webhooks; the message says why, in words."""


def check_form(url: str, *, allow_loopback: bool) -> str:
    """The URL's host, after checking its form (no resolution): https (or http to a
    loopback receiver when allowed), a host, no credentials."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeURL("a webhook URL must be an https URL")
    if parts.username or parts.password:
        raise UnsafeURL("a webhook URL may not carry credentials")
    if parts.scheme == "http" and not (allow_loopback and _literal_loopback(parts.hostname)):
        raise UnsafeURL("a webhook URL must be an https URL")
    return parts.hostname


def _literal_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def refused(address: Address, *, allow_loopback: bool) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return not allow_loopback
    return not address.is_global or address.is_multicast


async def resolve(host: str) -> list[Address]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UnsafeURL("the webhook URL's host does not resolve") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


async def check_url(url: str, *, allow_loopback: bool) -> None:
    """Raises UnsafeURL unless every address `url`'s host resolves to may be reached."""
    host = check_form(url, allow_loopback=allow_loopback)
    addresses = await resolve(host)
    if not addresses or any(refused(a, allow_loopback=allow_loopback) for a in addresses):
        raise UnsafeURL("the webhook URL resolves to a private or reserved address")
