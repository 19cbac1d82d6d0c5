"""The partner-app consent page (issue 12) in a real, headless Chromium, as a tenant
admin meets it: the app is registered with `ledgerline apps register`, the admin signs
in, opens the app's authorization link, reads what the app asks for and approves; the
browser lands on the app's registered redirect URI (here the server's own /healthz, so
nothing leaves the machine) with a code, which authlib's client exchanges (PKCE S256)
for a token that reads contacts.

Every request the page makes is recorded: none may go to another host, and its CSP
must report no violation. A screenshot goes to tests/artifacts/consent-page.png.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client

from tests.external.conftest import (
    ARTIFACTS,
    DEMO_PASSWORD,
    REPO,
    LiveServer,
    _ledgerline_command,
    _server_env,
    foreign_requests,
    recorded,
    screenshot_on_failure,
)
from tests.external.test_graphiql_browser import browser

pytestmark = pytest.mark.external
__all__ = ["browser"]

SHOT = ARTIFACTS / "consent-page.png"
ADMIN = "admin@acme.example"
DEVELOPER = "read-only@acme.example"


def register_app(server: LiveServer) -> tuple[str, str]:
    """`ledgerline apps register`, as a developer would run it: (client id, secret)."""
    port = int(urlsplit(server.base_url).port or 0)
    env = _server_env(server.log_path.parent, port) | {"COLUMNS": "300"}
    done = subprocess.run(
        [
            *_ledgerline_command(), "apps", "register", "--developer", DEVELOPER,
            "--name", "Pipeline Sync", "--redirect-uri", f"{server.base_url}/healthz",
            "--scope", "contacts:read",
        ],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    client_id = re.search(r"client_id: (\S+)", done.stdout)
    secret = re.search(r"client_secret: (\S+)", done.stdout)
    assert client_id and secret, done.stdout
    return client_id.group(1), secret.group(1)


@pytest.fixture(scope="module")
def visit(browser: Any, ledgerline_server: LiveServer) -> Iterator[dict[str, Any]]:
    base = ledgerline_server.base_url
    client_id, secret = register_app(ledgerline_server)
    oauth = OAuth2Client(
        client_id, secret, scope="contacts:read", redirect_uri=f"{base}/healthz",
        code_challenge_method="S256",
    )  # fmt: skip
    verifier = generate_token(48)
    url, state = oauth.create_authorization_url(f"{base}/oauth/authorize", code_verifier=verifier)
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    signed_in = context.request.post(
        f"{base}/graphql",
        data=json.dumps({
            "query": "mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { ok } }",
            "variables": {"e": ADMIN, "p": DEMO_PASSWORD},
        }),
        headers={"content-type": "application/json"},
    )  # fmt: skip
    assert signed_in.ok
    page = context.new_page()
    seen = recorded(page)
    seen["state"] = state
    try:
        with screenshot_on_failure(page, "consent-page", seen):
            response = page.goto(url, wait_until="load", timeout=30_000)
            assert response is not None
            seen["status"] = response.status
            seen["headers"] = response.all_headers()
            for part in ("abilities", "purposes", "categories"):
                seen[part] = page.locator(f"#{part} li").all_inner_texts()
            seen["title"] = page.locator("h1").inner_text()
            seen["csp_violations"] = page.evaluate("window.__llCspViolations")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOT), full_page=True)
            with page.expect_navigation(url=re.compile(r".*/healthz\?.*"), timeout=30_000):
                page.get_by_role("button", name="Approve").click()
            seen["landed"] = page.url
            token = oauth.fetch_token(
                f"{base}/oauth/token", authorization_response=page.url, code_verifier=verifier
            )
            seen["contacts"] = httpx.post(
                f"{base}/graphql",
                json={"query": "{ contacts(first: 2) { nodes { id } } }"},
                headers={"authorization": f"Bearer {token['access_token']}"},
                timeout=30,
            ).json()
        yield seen
    finally:
        context.close()
        oauth.close()


def test_the_page_is_html_with_its_own_csp(visit: dict[str, Any]) -> None:
    assert visit["status"] == 200
    assert visit["headers"]["content-type"].startswith("text/html")
    csp = visit["headers"]["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp


def test_no_request_leaves_the_server(visit: dict[str, Any], base_url: str) -> None:
    assert visit["requests"], "no request recorded"
    foreign = foreign_requests(visit["requests"], base_url)
    assert not foreign, f"requests to other hosts: {foreign}"


def test_the_page_says_in_plain_words_what_the_app_reaches(visit: dict[str, Any]) -> None:
    assert visit["title"] == "Allow Pipeline Sync to use your organisation's data?"
    assert visit["abilities"] == ["read contacts and their companies"]
    assert visit["purposes"] == ["Managing the customer relationship and closing deals"]
    assert "an email address" in visit["categories"]
    assert "a person's name" in visit["categories"]


def test_no_csp_violation_and_no_page_error(visit: dict[str, Any]) -> None:
    assert visit["csp_violations"] == []
    assert visit["page_errors"] == []


def test_approving_lands_on_the_registered_uri_with_a_code_and_the_state(
    visit: dict[str, Any], base_url: str
) -> None:
    landed = urlsplit(visit["landed"])
    assert f"{landed.scheme}://{landed.netloc}{landed.path}" == f"{base_url}/healthz"
    params = parse_qs(landed.query)
    assert params["code"] and params["state"] == [visit["state"]]


def test_the_code_becomes_a_token_that_reads_contacts(visit: dict[str, Any]) -> None:
    answer = visit["contacts"]
    assert "errors" not in answer, answer
    assert len(answer["data"]["contacts"]["nodes"]) == 2


def test_screenshot_is_saved(visit: dict[str, Any]) -> None:
    assert SHOT.exists() and SHOT.stat().st_size > 10_000
