"""`GET /privacy` (issue 11): the policy page of the composed app, its lists filled from
the same `current_policy()` as the `privacyPolicy` query, no other host, its own CSP."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser

import httpx
import pytest

from core.settings import Settings
from schema.operations.privacy_policy import current_policy
from server.app import create_app
from server.privacy_page import policy_document, render_html


class _Page(HTMLParser):
    """Headings, the `li` texts of each `<section data-section>`, every URL attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.items: dict[str, list[str]] = {}
        self.urls: list[str] = []
        self._section: str | None = None
        self._capture: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.urls += [v for k, v in found.items() if k in {"href", "src", "action"} and v]
        if tag == "section":
            self._section = found.get("data-section")
            assert self._section is not None
            self.items.setdefault(self._section, [])
        if tag in {"h1", "h2", "h3", "li"}:
            self._capture, self._text = tag, []

    def handle_data(self, data: str) -> None:
        if self._capture:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag != self._capture:
            return
        text = "".join(self._text).strip()
        if tag == "li":
            assert self._section is not None
            self.items[self._section].append(text)
        else:
            self.headings.append(text)
        self._capture = None


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, migrate=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def test_the_page_is_html_with_every_heading_and_every_list_filled(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/privacy")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = _Page()
    page.feed(response.text)
    for section in policy_document().sections:
        dot = "" if "." in section.number else "."
        assert f"{section.number}{dot} {section.title}" in page.headings
    policy = current_policy()
    assert policy.sections
    for filled in policy.sections:
        assert page.items[filled.number], f"section {filled.number} has no list"
        assert page.items[filled.number] == filled.items
    assert f"version {policy.version}" in response.text


async def test_no_url_to_another_host_and_a_strict_csp(client: httpx.AsyncClient) -> None:
    response = await client.get("/privacy")
    page = _Page()
    page.feed(response.text)
    assert all(u.startswith(("/", "#", "data:")) for u in page.urls), page.urls
    foreign = [
        u for u in re.findall(r"https?://[^\s\"'<>]+", response.text)
        if not u.startswith(("http://testserver/", "https://testserver/"))
    ]  # fmt: skip
    assert not foreign, foreign
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce is not None and f'<style nonce="{nonce.group(1)}">' in response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    second = await client.get("/privacy")
    assert second.headers["content-security-policy"] != csp, "a fresh nonce per response"


async def test_the_page_is_readable_on_a_phone(client: httpx.AsyncClient) -> None:
    text = (await client.get("/privacy")).text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    assert "max-width" in text and "clamp(" in text


def test_every_text_is_escaped() -> None:
    document = policy_document()
    document.sections[0].title = "<script>alert(1)</script>"
    document.sections[1].items = ['"quoted" & <b>bold</b>']
    page = render_html("n", document)
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
