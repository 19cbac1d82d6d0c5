"""Fixtures for the external conformance suites: the real server in a subprocess and
the npm packages of `tests/external/js/`.

The server runs exactly as an operator would start it (`ledgerline seed-demo` then
`ledgerline serve`) in a fresh data directory on a free loopback port, with the rate
limits lifted so the suites are not throttled. Its log is printed when it does not
start, and its tail when any test of the session failed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
JS_DIR = Path(__file__).resolve().parent / "js"
ARTIFACTS = REPO / "tests" / "artifacts"
DEMO_PASSWORD = "Ledgerline-demo-2026"
SEED_CONTACTS = 60
IN_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(message: str) -> None:
    """Skip with a clear message on a developer machine; fail under CI=true."""
    if IN_CI:
        pytest.fail(f"{message} (CI=true: an external suite may not be skipped)")
    pytest.skip(message)


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    log_path: Path

    @property
    def graphql_url(self) -> str:
        return f"{self.base_url}/graphql"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ledgerline_command() -> list[str]:
    """`ledgerline` as `python -m server.cli` run from this checkout, so a git worktree
    tests its own code (the console script imports wherever the package was installed)."""
    return [sys.executable, "-m", "server.cli"]


def _server_env(data_dir: Path, port: int) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("LEDGERLINE_")
        and name not in {"ENV", "DATABASE_URL", "APP_DATABASE_URL", "REDIS_URL", "HOST", "PORT"}
    }
    env.update(
        {
            "LEDGERLINE_DATA_DIR": str(data_dir),
            "DATABASE_URL": f"sqlite+aiosqlite:///{data_dir / 'ledgerline.db'}",
            "LEDGERLINE_RATE_LIMIT": "100000/minute",
            "LEDGERLINE_RATE_LIMIT_AUTH": "100000/minute",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _print_block(config: pytest.Config, title: str, text: str) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:  # pragma: no cover - e.g. under -p no:terminal
        sys.stderr.write(f"\n==== {title} ====\n{text}\n")
        return
    reporter.write_sep("=", title)
    reporter.write_line(text)


@pytest.fixture(scope="session")
def ledgerline_server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("ledgerline-server")
    port = _free_port()
    env = _server_env(data_dir, port)
    command = _ledgerline_command()
    log_path = data_dir / "server.log"

    seed = subprocess.run(
        [*command, "seed-demo", "--contacts", str(SEED_CONTACTS)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if seed.returncode != 0:
        pytest.fail(
            f"`ledgerline seed-demo` exited {seed.returncode}:\n{seed.stdout}\n{seed.stderr}",
            pytrace=False,
        )

    base_url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [*command, "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = LiveServer(base_url=base_url, log_path=log_path)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"`ledgerline serve` exited {process.returncode} before answering:\n"
                    f"{server.log()}",
                    pytrace=False,
                )
            try:
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"`ledgerline serve` did not answer /healthz in 90 s:\n{server.log()}",
                    pytrace=False,
                )
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        if request.session.testsfailed:
            tail = "\n".join(server.log().splitlines()[-200:])
            _print_block(request.config, f"ledgerline server log (last 200 lines) {log_path}", tail)


@pytest.fixture(scope="session")
def base_url(ledgerline_server: LiveServer) -> str:
    return ledgerline_server.base_url


@pytest.fixture(scope="session")
def log_in(base_url: str) -> Callable[[str], str]:
    """A bearer token for a demo user, from the logIn mutation."""

    def token_for(email: str) -> str:
        response = httpx.post(
            f"{base_url}/graphql",
            json={
                "query": "mutation LogIn($e: String!, $p: String!) "
                "{ logIn(email: $e, password: $p) { accessToken } }",
                "variables": {"e": email, "p": DEMO_PASSWORD},
            },
            headers={"accept": "application/graphql-response+json"},
            timeout=30,
        )
        body = response.json()
        assert response.status_code == 200 and not body.get("errors"), body
        return body["data"]["logIn"]["accessToken"]

    return token_for


@pytest.fixture(scope="session")
def npm_modules() -> Path:
    """`npm ci` once per session in tests/external/js (`npm install` without a lock)."""
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        skip_or_fail("npm/node are not installed: the JavaScript conformance suites need Node 20")
    assert npm is not None
    has_lock = (JS_DIR / "package-lock.json").exists()
    command = [npm, "ci" if has_lock else "install", "--no-audit", "--no-fund"]
    result = subprocess.run(
        command,
        cwd=JS_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"`{' '.join(command[1:])}` in {JS_DIR} exited {result.returncode}:\n"
            f"{result.stdout}\n{result.stderr}",
            pytrace=False,
        )
    return JS_DIR / "node_modules"


@pytest.fixture(scope="session")
def run_node(npm_modules: Path) -> Callable[..., Any]:
    """Run a script of tests/external/js with node and parse the JSON it prints."""
    node = shutil.which("node")
    assert node is not None

    def run(script: str, *args: str, timeout: float = 120) -> Any:
        result = subprocess.run(
            [node, script, *args],
            cwd=JS_DIR,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            pytest.fail(
                f"node {script} exited {result.returncode}:\n{result.stdout}\n{result.stderr}",
                pytrace=False,
            )
        try:
            return json.loads(result.stdout)
        except json.JSONDecodeError:
            pytest.fail(f"node {script} printed no JSON:\n{result.stdout}\n{result.stderr}")

    return run


# --- pages in a real browser (tests/external/test_*_browser.py) --------------------

RECORD_CSP_VIOLATIONS = """
window.__llCspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__llCspViolations.push({
    directive: event.violatedDirective,
    blocked: event.blockedURI,
    sample: event.sample,
  });
});
"""


def recorded(page: Any) -> dict[str, Any]:
    """What the page does from now on: every request, console message and page error,
    and (in `window.__llCspViolations`) every CSP violation."""
    seen: dict[str, Any] = {"requests": [], "console": [], "page_errors": []}
    page.on("request", lambda request: seen["requests"].append(request.url))
    page.on("console", lambda msg: seen["console"].append({"type": msg.type, "text": msg.text}))
    page.on("pageerror", lambda error: seen["page_errors"].append(str(error)))
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    return seen


@contextlib.contextmanager
def screenshot_on_failure(page: Any, name: str, seen: dict[str, Any]) -> Iterator[None]:
    """A failing visit leaves `<name>-failure.png` and what was seen so far."""
    try:
        yield
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}-failure.png"), full_page=True)
        print(f"{name} visit so far: {json.dumps(seen, default=str)[:4000]}")
        raise


def foreign_requests(urls: list[str], base_url: str) -> list[str]:
    """The requests that went to another host than the server under test."""
    origin = urlsplit(base_url)
    return [
        url
        for url in urls
        if urlsplit(url).scheme not in {"data", "blob"}
        and (urlsplit(url).scheme, urlsplit(url).netloc) != (origin.scheme, origin.netloc)
    ]
