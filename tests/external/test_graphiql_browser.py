"""The self-hosted GraphiQL page in a real, headless Chromium (Debian's
/usr/bin/chromium driven by the PyPI `playwright` package; never `playwright install`).

A person's path through the page: open /graphql, sign in with the page's own form as
sales@acme.example, type a query into the editor, run it and read the result pane.
Meanwhile every request the page makes is recorded: none may go to another host
(privacy policy section 7), the page's strict CSP must report no violation, and
nothing may be written to localStorage or sessionStorage. A screenshot goes to
tests/artifacts/graphiql.png.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.external.conftest import (
    ARTIFACTS,
    DEMO_PASSWORD,
    LiveServer,
    foreign_requests,
    recorded,
    screenshot_on_failure,
    skip_or_fail,
)

pytestmark = pytest.mark.external

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
QUERY = """query SalesContacts {
  contacts(first: 3) {
    totalCount
    nodes { id firstName email company { name } }
  }
}"""

# Runs before any page script; CSP does not apply to it (injected by the driver).


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is absent (Debian: apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the dev extras install it
        skip_or_fail("the `playwright` Python package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def session(browser: Any, ledgerline_server: LiveServer) -> Iterator[dict[str, Any]]:
    """One visit: load, sign in, type and run the query. Records everything seen.

    Waits use locators, not `wait_for_function`: the latter evaluates a string in the
    page, which the page's CSP (no 'unsafe-eval') rightly refuses."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    seen = recorded(page)
    try:
        with screenshot_on_failure(page, "graphiql", seen):
            response = page.goto(
                ledgerline_server.graphql_url,
                wait_until="load",
                timeout=30_000,
            )
            assert response is not None
            seen["status"] = response.status
            seen["headers"] = response.all_headers()
            page.wait_for_selector(".graphiql-container .graphiql-query-editor .CodeMirror")

            # sign in through the page's own form
            page.fill("#ll-email", "sales@acme.example")
            page.fill("#ll-password", DEMO_PASSWORD)
            page.click("#ll-login")
            expect(page.locator("#ll-whoami")).to_contain_text("sales@acme.example", timeout=15_000)
            seen["whoami"] = page.inner_text("#ll-whoami")
            seen["password_after_sign_in"] = page.input_value("#ll-password")

            # type the query into the editor (CodeMirror 5): clear, type, close autocomplete
            editor = page.locator(".graphiql-query-editor .CodeMirror").first
            editor.click()
            page.keyboard.press("Control+A")
            page.keyboard.press("Delete")
            page.keyboard.insert_text(QUERY)
            page.keyboard.press("Escape")
            seen["editor_text"] = page.evaluate(
                "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()"
            )
            page.click(".graphiql-execute-button")
            expect(page.locator(".result-window")).to_contain_text("totalCount", timeout=15_000)
            seen["result_text"] = page.evaluate(
                "document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()"
            )
            seen["result_pane_text"] = page.inner_text(".result-window")
            seen["storage"] = page.evaluate(
                "({local: localStorage.length, session: sessionStorage.length})"
            )
            seen["csp_violations"] = page.evaluate("window.__llCspViolations")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "graphiql.png"), full_page=True)
        yield seen
    finally:
        context.close()


def test_page_is_served_with_its_csp(session: dict[str, Any]) -> None:
    assert session["status"] == 200
    headers = session["headers"]
    assert headers["content-type"].startswith("text/html")
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp


def test_no_request_leaves_the_server(session: dict[str, Any], base_url: str) -> None:
    assert session["requests"], "no request recorded"
    foreign = foreign_requests(session["requests"], base_url)
    assert not foreign, f"requests to other hosts: {foreign}"
    assert any(url.endswith("/static/graphiql/graphiql.min.js") for url in session["requests"])


def test_signs_in_through_the_page_form(session: dict[str, Any]) -> None:
    assert session["whoami"] == "Signed in as sales@acme.example · SALES · Acme Corp (acme)"
    assert session["password_after_sign_in"] == "", "the password field is cleared"


def test_query_typed_in_the_editor_runs_and_shows_contacts(session: dict[str, Any]) -> None:
    assert "contacts(first: 3)" in session["editor_text"]
    result = json.loads(session["result_text"])
    assert "errors" not in result, result
    contacts = result["data"]["contacts"]
    assert contacts["totalCount"] >= 3 and len(contacts["nodes"]) == 3
    assert any(node["firstName"] for node in contacts["nodes"]), "sales sees names"
    assert "firstName" in session["result_pane_text"]


def test_no_csp_violation_and_no_page_error(session: dict[str, Any]) -> None:
    assert session["csp_violations"] == []
    csp_console = [
        m
        for m in session["console"]
        if "Content Security Policy" in m["text"] or "CSP" in m["text"]
    ]
    assert not csp_console, csp_console
    assert session["page_errors"] == []


def test_nothing_is_written_to_browser_storage(session: dict[str, Any]) -> None:
    assert session["storage"] == {"local": 0, "session": 0}


def test_screenshot_is_saved(session: dict[str, Any]) -> None:
    shot = ARTIFACTS / "graphiql.png"
    assert shot.exists() and shot.stat().st_size > 10_000


# --- issue 14: starter query, demo role picker, banner, redactions panel, explain ---


@pytest.fixture(scope="module")
def demo_visit(browser: Any, ledgerline_server: LiveServer) -> Iterator[dict[str, Any]]:
    """A developer's path: the starter query is there; pick the marketing demo user,
    run it, read the Redactions panel, explain one redaction; then pick the acme owner
    and switch to globex with the tenant switcher."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    seen = recorded(page)
    try:
        with screenshot_on_failure(page, "graphiql-demo", seen):
            page.goto(ledgerline_server.graphql_url, wait_until="load", timeout=30_000)
            page.wait_for_selector(".graphiql-container .graphiql-query-editor .CodeMirror")
            seen["starter"] = page.evaluate(
                "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()"
            )
            page.select_option("#ll-demo", "marketing@acme.example")
            expect(page.locator("#ll-whoami")).to_contain_text("MARKETING", timeout=15_000)
            seen["banner"] = page.inner_text("#ll-whoami")
            page.click(".graphiql-execute-button")
            expect(page.locator(".result-window")).to_contain_text("totalCount", timeout=15_000)
            panel = page.locator(".ll-redactions")
            expect(panel.locator(".ll-redaction").first).to_be_visible(timeout=15_000)
            seen["panel_rows"] = panel.locator(".ll-row h4").all_inner_texts()
            seen["panel_entries"] = panel.locator(".ll-redaction").all_inner_texts()
            seen["legend"] = panel.locator(".ll-legend dt").all_inner_texts()
            panel.locator(".ll-explain-button").first.click()
            expect(panel.locator(".ll-outcome").first).to_contain_text("Outcome", timeout=15_000)
            seen["explained"] = panel.locator(".ll-explain").first.inner_text()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "graphiql-redactions.png"), full_page=True)

            page.select_option("#ll-demo", "owner@acme.example")
            expect(page.locator("#ll-whoami")).to_contain_text("OWNER", timeout=15_000)
            seen["owner_banner"] = page.inner_text("#ll-whoami")
            globex = page.locator("#ll-tenant option", has_text="globex").get_attribute("value")
            page.select_option("#ll-tenant", globex)
            expect(page.locator("#ll-whoami")).to_contain_text("(globex)", timeout=15_000)
            seen["switched_banner"] = page.inner_text("#ll-whoami")
            seen["csp_violations"] = page.evaluate("window.__llCspViolations")
        yield seen
    finally:
        context.close()


def test_the_editor_opens_with_the_readme_contacts_query(demo_visit: dict[str, Any]) -> None:
    from server.graphiql import STARTER_QUERY

    assert demo_visit["starter"].strip() == STARTER_QUERY.strip()


def test_the_role_picker_signs_in_as_the_demo_user_and_the_banner_names_them(
    demo_visit: dict[str, Any],
) -> None:
    assert demo_visit["banner"] == (
        "Signed in as marketing@acme.example · MARKETING · Acme Corp (acme)"
    )


def test_the_redactions_panel_lists_reasons_by_row_in_plain_words(
    demo_visit: dict[str, Any],
) -> None:
    from privacy.decision import REASON_TEXT, Reason

    assert demo_visit["panel_rows"], "no row listed"
    assert all(row.startswith("contacts.nodes.") for row in demo_visit["panel_rows"])
    entries = demo_visit["panel_entries"]
    no_consent = [e for e in entries if "NO_CONSENT" in e]
    assert no_consent and REASON_TEXT[Reason.NO_CONSENT] in no_consent[0]


def test_the_legend_names_every_reason(demo_visit: dict[str, Any]) -> None:
    from privacy.decision import Reason

    assert set(demo_visit["legend"]) == {r.value for r in Reason}


def test_explain_shows_the_decision_steps_for_a_redaction(demo_visit: dict[str, Any]) -> None:
    explained = demo_visit["explained"]
    assert "PERMISSION: passed" in explained
    assert "Outcome: REDACT" in explained


def test_the_tenant_switcher_moves_the_banner_to_the_other_tenant(
    demo_visit: dict[str, Any],
) -> None:
    assert demo_visit["owner_banner"].endswith("(acme)")
    assert demo_visit["switched_banner"] == (
        "Signed in as owner@acme.example · READ_ONLY · Globex Inc (globex)"
    )
    assert demo_visit["csp_violations"] == []
