"""schemathesis in GraphQL mode against the running server's /graphql, signed in as
admin@acme.example with a bearer token from logIn.

For every query and mutation field, schemathesis generates operations, valid ones
(positive mode, 25 each) and invalid ones (negative mode, 10 each), one subtest per
field and mode, and sends them with the admin's token; each response must not be a
5xx, must have the GraphQL response shape, and must carry no masked internal error
(a resolver crash, the GraphQL equivalent of a 500). Domain errors such as NOT_FOUND
or BAD_USER_INPUT are expected answers to random input and are not failures
(schemathesis' own GraphQL `not_a_server_error` counts every error with a `path` as a
server error, so it is replaced by the two checks below).

The schema is loaded with `schemathesis.graphql.from_url` and each operation's
`as_strategy()` drives a Hypothesis test; `schemathesis.pytest.from_fixture` is not used
because its lazy parametrisation writes `request.node._nodeid`, which pytest 9.2 no
longer has (AttributeError).

Left out, because they would break the rest of the run rather than test anything:
- logOut revokes the admin token's session: every later case would be UNAUTHENTICATED;
- changeRole and removeMember can hit the admin's own membership (schemathesis reuses
  ids it has seen in responses), demoting or removing the signed-in user;
- logIn: random failed sign-ins put 127.0.0.1 into login backoff (auth/backoff.py keys
  failures by client IP), which would throttle the sign-ins of the other suites that
  share this server.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.modes import GenerationMode

from tests.external.conftest import LiveServer

pytestmark = pytest.mark.external

# examples per operation and mode; about 40 operations
MAX_EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 10}
SKIPPED = {
    "Mutation.logOut": "revokes the session of the token the run uses",
    "Mutation.changeRole": "may demote the signed-in admin",
    "Mutation.removeMember": "may remove the signed-in admin",
    "Mutation.logIn": "failures put 127.0.0.1 into login backoff for the other suites",
}
CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {"mode": "all", "deterministic": True},
        "phases": {"stateful": {"enabled": False}},
    }
)
RESPONSE_KEYS = {"data", "errors", "extensions"}
ERROR_KEYS = {"message", "locations", "path", "extensions"}


@pytest.fixture(scope="module")
def admin_headers(log_in: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {log_in('admin@acme.example')}"}


@pytest.fixture(scope="module")
def graphql_schema(ledgerline_server: LiveServer, admin_headers: dict[str, str]) -> Any:
    return schemathesis.graphql.from_url(
        ledgerline_server.graphql_url, config=CONFIG, headers=admin_headers, timeout=30
    )


def no_server_error(ctx: Any, response: Any, case: Any) -> None:
    """No 5xx, whatever was sent."""
    assert response.status_code < 500, (
        f"{response.status_code} for {case.body!r}: {response.text[:500]}"
    )


def graphql_response_shape(ctx: Any, response: Any, case: Any) -> None:
    """A GraphQL response (spec section 7): a JSON object with `data` and/or `errors`
    and optional `extensions`; well-formed errors; no masked internal error."""
    assert response.status_code in {200, 400}, f"unexpected status {response.status_code}"
    media_type = response.headers.get("content-type", [""])
    media_type = media_type[0] if isinstance(media_type, list) else media_type
    assert media_type.split(";")[0].strip() in {
        "application/graphql-response+json",
        "application/json",
    }, f"content-type {media_type!r}"
    body = json.loads(response.content)
    assert isinstance(body, dict), f"not a JSON object: {body!r}"
    assert set(body) <= RESPONSE_KEYS and body.keys() & {"data", "errors"}, sorted(body)
    if "data" in body:
        assert body["data"] is None or isinstance(body["data"], dict), body["data"]
    if "extensions" in body:
        assert isinstance(body["extensions"], dict), body["extensions"]
    if "errors" in body:
        errors = body["errors"]
        assert isinstance(errors, list) and errors, f"errors must be a non-empty list: {errors!r}"
        for error in errors:
            assert isinstance(error, dict) and set(error) <= ERROR_KEYS, error
            assert isinstance(error.get("message"), str) and error["message"], error
            for location in error.get("locations", []):
                assert set(location) == {"line", "column"}, error
                assert all(isinstance(v, int) and v >= 1 for v in location.values()), error
            path = error.get("path", [])
            assert isinstance(path, list) and all(isinstance(p, str | int) for p in path), error
            code = (error.get("extensions") or {}).get("code")
            assert code != "INTERNAL_SERVER_ERROR", f"masked internal error for {case.body!r}"
            assert not error["message"].startswith("Cannot return null for non-nullable"), error
    else:
        assert body.get("data") is not None, "neither data nor errors"


def _checks() -> list[Any]:
    # schemathesis' own GraphQL response check: malformed JSON, a non-object body, or
    # data that breaks the published schema's nullability.
    return [
        no_server_error,
        graphql_response_shape,
        schemathesis.checks.response_schema_conformance,
    ]


def _fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> None:
    @settings(
        max_examples=MAX_EXAMPLES[mode],
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=_checks(), timeout=30)

    run()


def test_graphql_operations(
    graphql_schema: Any, admin_headers: dict[str, str], subtests: pytest.Subtests
) -> None:
    """One subtest per operation and generation mode; all run, failures are reported
    per operation."""
    ran = 0
    for result in graphql_schema.get_all_operations():
        operation = result.ok()
        if operation.label in SKIPPED:
            continue
        for mode in MAX_EXAMPLES:
            with subtests.test(msg=f"{operation.label} ({mode.value})"):
                _fuzz(operation, mode, admin_headers)
            ran += 1
    assert ran >= 60, f"only {ran} operation/mode pairs ran"


def test_skipped_operations_exist(graphql_schema: Any) -> None:
    """The exclusions above name real operations (a rename must not widen the run)."""
    labels = {result.ok().label for result in graphql_schema.get_all_operations()}
    assert set(SKIPPED) <= labels, set(SKIPPED) - labels
    assert len(labels) - len(SKIPPED) >= 30
