"""The self-hosted GraphiQL page: no third-party URL, strict CSP, no credential leaks."""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from server.graphiql import (
    STATIC_DIR,
    graphiql_csp,
    graphiql_html,
    graphiql_response,
    new_nonce,
)

NONCE = "test-nonce-123"
PAGE_SCRIPT = STATIC_DIR / "graphiql" / "ledgerline-graphiql.js"


class _Tags(HTMLParser):
    """Collects every start tag with its attributes, and the text inside <script>/<style>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline: dict[str, list[str]] = {"script": [], "style": []}
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._open = tag if tag in self.inline else None

    def handle_data(self, data: str) -> None:
        if self._open and data.strip():
            self.inline[self._open].append(data)

    def handle_endtag(self, tag: str) -> None:
        self._open = None


def _parse(page: str) -> _Tags:
    parser = _Tags()
    parser.feed(page)
    return parser


def _asset_urls(page: str) -> list[str]:
    """Every script src and stylesheet href on the page."""
    urls = []
    for tag, attrs in _parse(page).tags:
        if tag == "script" and attrs.get("src"):
            urls.append(attrs["src"])
        if tag == "link" and attrs.get("rel") == "stylesheet":
            urls.append(attrs["href"])
    return urls


def _directives(csp: str) -> dict[str, list[str]]:
    parts = (part.split() for part in csp.split(";") if part.strip())
    return {name: sources for name, *sources in parts}


def _page_script() -> str:
    return PAGE_SCRIPT.read_text(encoding="utf-8")


# --- the HTML page -------------------------------------------------------------


def test_page_references_no_absolute_or_protocol_relative_url() -> None:
    page = graphiql_html(NONCE)
    assert not re.search(r"https?:", page, re.IGNORECASE)
    for _tag, attrs in _parse(page).tags:
        for name in ("src", "href", "action"):
            assert not (attrs.get(name) or "").startswith("//")


def test_page_loads_scripts_and_styles_only_from_static_graphiql() -> None:
    urls = _asset_urls(graphiql_html(NONCE))
    assert len(urls) == 6
    assert all(url.startswith("/static/graphiql/") for url in urls)


def test_every_referenced_script_and_stylesheet_exists_under_static_dir() -> None:
    for url in _asset_urls(graphiql_html(NONCE)):
        path = STATIC_DIR / url.removeprefix("/static/")
        assert path.is_file(), url
        assert path.resolve().is_relative_to(STATIC_DIR)


def test_page_has_no_inline_script() -> None:
    parsed = _parse(graphiql_html(NONCE))
    assert parsed.inline["script"] == []
    assert all(attrs.get("src") for tag, attrs in parsed.tags if tag == "script")
    assert not any(name.startswith("on") for _tag, attrs in parsed.tags for name in attrs)


def test_page_carries_the_nonce_in_a_meta_tag_and_on_every_style_tag() -> None:
    tags = _parse(graphiql_html(NONCE)).tags
    metas = [attrs for tag, attrs in tags if tag == "meta" and attrs.get("name") == "csp-nonce"]
    assert metas == [{"name": "csp-nonce", "content": NONCE}]
    assert all(attrs.get("nonce") == NONCE for tag, attrs in tags if tag == "style")


def test_nonce_cannot_break_out_of_the_meta_tag() -> None:
    page = graphiql_html('"><script>alert(1)</script>')
    assert "<script>alert(1)" not in page


def test_page_title_is_ledgerline_graphiql() -> None:
    assert "<title>Ledgerline GraphiQL</title>" in graphiql_html(NONCE)


def test_page_has_the_sign_in_panel_elements_with_stable_ids() -> None:
    ids = {attrs.get("id") for _tag, attrs in _parse(graphiql_html(NONCE)).tags}
    expected = {"ll-email", "ll-password", "ll-login", "ll-token", "ll-logout", "ll-whoami"}
    assert expected <= ids


def test_sign_in_form_never_submits_credentials_in_the_url() -> None:
    forms = [attrs for tag, attrs in _parse(graphiql_html(NONCE)).tags if tag == "form"]
    assert forms and all((attrs.get("method") or "").lower() == "post" for attrs in forms)


# --- the CSP -------------------------------------------------------------------


def test_csp_is_exactly_the_documented_policy() -> None:
    assert graphiql_csp(NONCE) == (
        "default-src 'self'; script-src 'self'; style-src 'self' 'nonce-test-nonce-123'; "
        "font-src 'self' data:; img-src 'self' data:; connect-src 'self'; "
        "worker-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    )


def test_csp_has_no_unsafe_inline_or_unsafe_eval() -> None:
    csp = graphiql_csp(NONCE)
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "unsafe-hashes" not in csp


def test_csp_forbids_framing_the_page() -> None:
    assert _directives(graphiql_csp(NONCE))["frame-ancestors"] == ["'none'"]


def test_csp_allows_no_host_other_than_self() -> None:
    for sources in _directives(graphiql_csp(NONCE)).values():
        assert set(sources) <= {"'self'", "'none'", "data:", f"'nonce-{NONCE}'"}


def test_csp_allows_scripts_from_self_only_and_inline_styles_by_nonce_only() -> None:
    directives = _directives(graphiql_csp(NONCE))
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'", f"'nonce-{NONCE}'"]


# --- the response --------------------------------------------------------------


def _response_nonces() -> tuple[str, str]:
    """(nonce in the CSP header, nonce in the page's meta tag) of one response."""
    response = graphiql_response()
    header = re.search(r"'nonce-([^']+)'", response.headers["content-security-policy"])
    meta = re.search(r'<meta name="csp-nonce" content="([^"]+)">', response.body.decode())
    assert header and meta
    return header.group(1), meta.group(1)


def test_each_page_gets_a_different_nonce() -> None:
    assert _response_nonces()[0] != _response_nonces()[0]
    assert graphiql_html(new_nonce()) != graphiql_html(new_nonce())


def test_response_nonce_in_csp_matches_the_page() -> None:
    header_nonce, meta_nonce = _response_nonces()
    assert header_nonce == meta_nonce


def test_nonce_has_at_least_128_bits_and_is_url_safe() -> None:
    nonce = new_nonce()
    assert len(nonce) >= 22
    assert re.fullmatch(r"[A-Za-z0-9_-]+", nonce)


def test_response_is_html_never_cached_and_carries_the_csp() -> None:
    response = graphiql_response()
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_static_mount_serves_the_page_and_every_asset() -> None:
    """The way server/app.py wires it: a route returning the page, StaticFiles at /static."""
    app = Starlette(
        routes=[
            Route("/graphql", lambda request: graphiql_response()),
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ]
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        page = await client.get("/graphql")
        assert page.status_code == 200
        for url in _asset_urls(page.text):
            assert (await client.get(url)).status_code == 200, url


# --- the page script -----------------------------------------------------------


@pytest.mark.parametrize("api", ["localStorage", "sessionStorage", "indexedDB", "caches."])
def test_page_script_never_touches_browser_storage(api: str) -> None:
    assert api not in _page_script()


def test_page_script_never_writes_cookies() -> None:
    assert not re.search(r"document\.cookie\s*=[^=]", _page_script())


@pytest.mark.parametrize(
    "api", ["location", "history.", "pushState", "replaceState", "URLSearchParams", "new URL("]
)
def test_page_script_never_puts_a_token_into_the_url(api: str) -> None:
    assert api not in _page_script()


def test_page_script_fetches_only_the_fixed_graphql_path() -> None:
    script = _page_script()
    assert "var GRAPHQL_URL = '/graphql';" in script
    assert re.findall(r"fetch\(([^,)]*)", script) == ["GRAPHQL_URL"]
    assert "XMLHttpRequest" not in script
    assert "sendBeacon" not in script


def test_page_script_keeps_graphiql_headers_out_of_storage() -> None:
    script = _page_script()
    assert "shouldPersistHeaders: false" in script
    assert "storage: memoryStorage()" in script


def test_page_script_sends_credentials_same_origin_with_csrf_header_from_cookie() -> None:
    script = _page_script()
    assert "credentials: 'same-origin'" in script
    assert "var CSRF_COOKIE = 'll_csrf';" in script
    assert "headers['X-CSRF-Token'] = csrf;" in script
    assert "'Accept': 'application/graphql-response+json, application/json'" in script
    assert "'Content-Type': 'application/json'" in script


def test_page_script_sends_the_pasted_token_as_a_bearer_header() -> None:
    assert "headers['Authorization'] = 'Bearer ' + bearerToken;" in _page_script()


@pytest.mark.parametrize("sink", ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"])
def test_page_script_renders_server_text_with_text_content_only(sink: str) -> None:
    script = _page_script()
    assert sink not in script
    assert "whoami.textContent" in script


def test_page_script_has_no_eval() -> None:
    script = _page_script()
    assert not re.search(r"\beval\(|new Function\(|setTimeout\(\s*['\"]", script)


def test_page_script_sets_the_style_nonce_before_graphiql_renders() -> None:
    script = _page_script()
    assert "window.__webpack_nonce__ = nonceMeta.content;" in script
    assert script.index("__webpack_nonce__") < script.index("root.render(")


def test_page_script_runs_the_documented_sign_in_operations() -> None:
    script = " ".join(_page_script().split())
    assert (
        "mutation LogIn($email: String!, $password: String!) ' + "
        "'{ logIn(email: $email, password: $password) { ok } }'"
    ) in script
    assert "'mutation { logOut { ok } }'" in script
    assert "'query WhoAmI { me { email role currentTenant { id name slug } ' +" in script


# --- the vendored files --------------------------------------------------------


def test_vendored_bundles_match_their_recorded_checksums() -> None:
    folder = STATIC_DIR / "graphiql"
    lines = (folder / "SHA256SUMS").read_text().splitlines()
    assert len(lines) == 4
    for line in lines:
        digest, name = line.split(maxsplit=1)
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


def test_vendored_bundles_ship_with_their_licences() -> None:
    folder = STATIC_DIR / "graphiql"
    for name in ("LICENSE.graphiql", "LICENSE.react", "LICENSE.react-dom"):
        assert "MIT License" in (folder / name).read_text()


def test_the_starter_query_is_the_readme_contacts_query() -> None:
    from pathlib import Path

    from server.graphiql import STARTER_QUERY

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    curl = re.search(r'"query":"(\{ contacts\(first: 5\).*?\})"\}', readme)
    assert curl is not None, "the README's contacts query"
    assert " ".join(STARTER_QUERY.split()) == " ".join(curl.group(1).split())


def test_the_page_carries_the_starter_query_for_its_script() -> None:
    from server.graphiql import STARTER_QUERY

    body = [attrs for tag, attrs in _parse(graphiql_html(NONCE)).tags if tag == "body"]
    assert body[0]["data-starter-query"] == STARTER_QUERY


def test_the_demo_picker_names_every_demo_login_when_asked() -> None:
    from auth.permissions import Role
    from server.demo import DEMO_TENANTS, demo_email

    options = [
        attrs["value"]
        for tag, attrs in _parse(graphiql_html(NONCE, demo=True)).tags
        if tag == "option" and attrs.get("value")
    ]
    assert options == [demo_email(r, slug) for _, slug, _ in DEMO_TENANTS for r in Role]


def test_the_demo_picker_is_absent_unless_asked() -> None:
    ids = {attrs.get("id") for _tag, attrs in _parse(graphiql_html(NONCE)).tags}
    assert "ll-demo" not in ids


async def test_the_development_server_names_the_demo_logins(settings) -> None:  # type: ignore[no-untyped-def]
    from server.app import create_app

    app = create_app(settings, migrate=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            page = await client.get("/graphql", headers={"accept": "text/html"})
    assert 'id="ll-demo"' in page.text
