"""The SSRF guard (issue 12): only https URLs whose host resolves to public addresses;
private, loopback, link-local (the metadata endpoint), unique-local and IPv4-mapped
private addresses are refused after resolution; a loopback receiver only when the
explicit setting allows it, and never in production."""

from __future__ import annotations

import pytest

from core.settings import Settings
from privacy.webhooks import ssrf
from privacy.webhooks.delivery import allow_loopback

REFUSED = [
    "https://10.0.0.1/hook",
    "https://172.16.5.4/hook",
    "https://192.168.1.1/hook",
    "https://127.0.0.1/hook",
    "https://169.254.169.254/latest/meta-data",
    "https://0.0.0.0/hook",
    "https://100.64.0.1/hook",
    "https://[::1]/hook",
    "https://[fe80::1]/hook",
    "https://[fc00::1]/hook",
    "https://[::ffff:10.0.0.1]/hook",
    "https://[::ffff:169.254.169.254]/hook",
    "https://224.0.0.1/hook",
]


@pytest.mark.parametrize("url", REFUSED)
async def test_a_non_public_address_is_refused(url: str):
    with pytest.raises(ssrf.UnsafeURL):
        await ssrf.check_url(url, allow_loopback=False)


async def test_a_name_is_checked_after_resolution():
    with pytest.raises(ssrf.UnsafeURL, match="private or reserved"):
        await ssrf.check_url("https://localhost/hook", allow_loopback=False)


async def test_a_public_address_over_https_is_allowed():
    await ssrf.check_url("https://93.184.215.14/hook", allow_loopback=False)


@pytest.mark.parametrize(
    "url", ["http://93.184.215.14/hook", "ftp://93.184.215.14/x", "https://u:p@93.184.215.14/"]
)
async def test_only_plain_https_urls_are_allowed(url: str):
    with pytest.raises(ssrf.UnsafeURL):
        await ssrf.check_url(url, allow_loopback=False)


async def test_a_loopback_receiver_is_allowed_only_by_the_setting():
    await ssrf.check_url("http://127.0.0.1:8080/hook", allow_loopback=True)
    with pytest.raises(ssrf.UnsafeURL):
        await ssrf.check_url("http://127.0.0.1:8080/hook", allow_loopback=False)


async def test_loopback_still_refuses_private_addresses():
    with pytest.raises(ssrf.UnsafeURL):
        await ssrf.check_url("https://169.254.169.254/", allow_loopback=True)


def test_production_never_allows_loopback(settings: Settings):
    class _Services:
        def __init__(self, s: Settings) -> None:
            self.settings = s

    dev = settings.model_copy(update={"webhook_allow_loopback": True})
    assert allow_loopback(_Services(dev)) is True  # type: ignore[arg-type]
    prod = dev.model_copy(update={"env": "production"})
    assert allow_loopback(_Services(prod)) is False  # type: ignore[arg-type]
