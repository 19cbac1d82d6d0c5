"""Verify mode compares the read audit of both executors, each in its own buffer
(issue 9): an executor that skipped an audit row fails every query the suite runs.

Nothing is deleted from the code: each test makes one executor forget its audit and
checks the verifier notices; the control shows the comparison passes as it stands.
"""

from __future__ import annotations

from typing import Any

import pytest

import schema.policy
from auth.permissions import Role
from privacy.audit import AuditBuffer
from tests.security.conftest import (  # noqa: F401  (the fixtures)
    Demo,
    attack_settings,
    demo,
)

LIST = "{ contacts(first: 20) { nodes { id firstName email phone } } }"


async def mismatch_reported(api: Demo, caplog: pytest.LogCaptureFixture) -> bool:
    answer = await api.gql(LIST, None, await api.headers("acme", Role.SALES))
    codes = [e["extensions"]["code"] for e in answer.get("errors", [])]
    logged = "FastPathMismatchError" in caplog.text and "audit equal: False" in caplog.text
    return codes == ["INTERNAL_SERVER_ERROR"] and logged


async def test_both_executors_audit_alike(
    demo: Demo,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert not await mismatch_reported(demo, caplog)


async def test_a_fast_path_that_skips_its_audit_is_caught(
    demo: Demo,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def forget(self: AuditBuffer, *args: Any) -> None:
        return None

    monkeypatch.setattr(AuditBuffer, "read_all", forget)  # only the fast path calls it
    assert await mismatch_reported(demo, caplog)


async def test_a_stock_path_that_skips_its_audit_is_caught(
    demo: Demo,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(schema.policy, "audited_as_shown", lambda decision, value: None)
    assert await mismatch_reported(demo, caplog)
