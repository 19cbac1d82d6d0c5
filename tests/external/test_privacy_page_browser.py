"""The policy page `/privacy` in a real, headless Chromium at a phone's viewport
(390x844), driven as tests/external/test_graphiql_browser.py drives GraphiQL (Debian's
/usr/bin/chromium through the PyPI `playwright` package; never `playwright install`).

Every request the page makes is recorded: none may go to another host (policy section
7), the page's CSP must report no violation, every section of the `privacyPolicy`
data must show a non-empty list, and nothing may overflow the phone's width. A
screenshot goes to tests/artifacts/privacy-phone.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from schema.operations.privacy_policy import current_policy
from tests.external.conftest import (
    ARTIFACTS,
    LiveServer,
    foreign_requests,
    recorded,
    screenshot_on_failure,
)
from tests.external.test_graphiql_browser import browser

pytestmark = pytest.mark.external
__all__ = ["browser"]  # the module-scoped Chromium fixture, shared

PHONE = {"width": 390, "height": 844}
SHOT = ARTIFACTS / "privacy-phone.png"


@pytest.fixture(scope="module")
def visit(browser: Any, ledgerline_server: LiveServer) -> Iterator[dict[str, Any]]:
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    seen = recorded(page)
    try:
        with screenshot_on_failure(page, "privacy-phone", seen):
            response = page.goto(
                f"{ledgerline_server.base_url}/privacy", wait_until="load", timeout=30_000
            )
            assert response is not None
            seen["status"] = response.status
            seen["headers"] = response.all_headers()
            seen["items"] = {
                number: page.locator(f'section[data-section="{number}"] li').count()
                for number in (s.number for s in current_policy().sections)
            }
            seen["visible_items"] = page.locator("li:visible").count()
            seen["widths"] = page.evaluate(
                "({scroll: document.documentElement.scrollWidth, view: window.innerWidth})"
            )
            seen["font_px"] = page.evaluate(
                "parseFloat(getComputedStyle(document.querySelector('main p')).fontSize)"
            )
            seen["csp_violations"] = page.evaluate("window.__llCspViolations")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOT), full_page=True)
        yield seen
    finally:
        context.close()


def test_page_is_served_as_html_with_its_csp(visit: dict[str, Any]) -> None:
    assert visit["status"] == 200
    assert visit["headers"]["content-type"].startswith("text/html")
    assert "default-src 'none'" in visit["headers"]["content-security-policy"]


def test_no_request_leaves_the_server(visit: dict[str, Any], base_url: str) -> None:
    assert visit["requests"], "no request recorded"
    foreign = foreign_requests(visit["requests"], base_url)
    assert not foreign, f"requests to other hosts: {foreign}"


def test_every_list_is_rendered(visit: dict[str, Any]) -> None:
    expected = {s.number: len(s.items) for s in current_policy().sections}
    assert expected and all(expected.values())
    assert visit["items"] == expected
    assert visit["visible_items"] == sum(expected.values())


def test_readable_on_a_phone(visit: dict[str, Any]) -> None:
    assert visit["widths"]["scroll"] <= visit["widths"]["view"], "no sideways scrolling"
    assert visit["font_px"] >= 16


def test_no_csp_violation_and_no_page_error(visit: dict[str, Any]) -> None:
    assert visit["csp_violations"] == []
    assert not [m for m in visit["console"] if "Content Security Policy" in m["text"]]
    assert visit["page_errors"] == []


def test_screenshot_is_saved(visit: dict[str, Any]) -> None:
    assert SHOT.exists() and SHOT.stat().st_size > 10_000
