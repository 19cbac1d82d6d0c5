"""GraphQL over HTTP conformance: the `graphql-http` package's server audits
(`auditServer`) against the running server.

Every MUST and every SHOULD audit passes; MAY results are only reported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.external.conftest import LiveServer

pytestmark = pytest.mark.external


@pytest.fixture(scope="module")
def audit(ledgerline_server: LiveServer, run_node: Callable[..., Any]) -> list[dict[str, Any]]:
    report = run_node("audit.mjs", ledgerline_server.graphql_url)
    results = report["results"]
    assert len(results) > 40, f"graphql-http ran only {len(results)} audits"
    lines = [
        f"{r['status']:6} {r['id']} {r['name']}"
        + (f" -> {r['reason']}; server answered {r.get('response')}" if r["status"] != "ok" else "")
        for r in results
    ]
    print("graphql-http audit results:\n" + "\n".join(lines))
    return results


def _by_level(results: list[dict[str, Any]], level: str) -> list[dict[str, Any]]:
    return [r for r in results if r["level"] == level]


def test_every_must_audit_passes(audit: list[dict[str, Any]]) -> None:
    must = _by_level(audit, "MUST")
    assert must, "no MUST audit ran"
    failed = [r for r in must if r["status"] != "ok"]
    assert not failed, "MUST audits failed:\n" + "\n".join(
        f"{r['id']} {r['name']}: {r['reason']} (server answered {r['response']})" for r in failed
    )


def test_every_should_audit_passes(audit: list[dict[str, Any]]) -> None:
    failed = [r for r in _by_level(audit, "SHOULD") if r["status"] != "ok"]
    assert not failed, "SHOULD audits failed:\n" + "\n".join(
        f"{r['id']} {r['name']}: {r['reason']} (server answered {r['response']})" for r in failed
    )


def test_may_audits_are_reported(audit: list[dict[str, Any]]) -> None:
    may = _by_level(audit, "MAY")
    print(
        "MAY audits: "
        + ", ".join(f"{r['id']}={r['status']}" for r in may)
        + f" ({sum(r['status'] == 'ok' for r in may)}/{len(may)} ok)"
    )
    assert may


def test_no_audit_request_gets_a_server_error(audit: list[dict[str, Any]]) -> None:
    errors = [r for r in audit if r.get("response") and r["response"]["status"] >= 500]
    assert not errors, "audits answered with 5xx:\n" + "\n".join(
        f"{r['id']} {r['name']}: {r['response']}" for r in errors
    )
