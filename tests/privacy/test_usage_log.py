"""Policy section 2.3: usage data records who called which operation, how long it took
and how it ended, with a truncated IP, and never variables or response data."""

import sqlite3

import pytest

from auth.permissions import Role
from privacy.usage import truncate_ip
from server.context import RequestContext
from server.execution import execute_operation


@pytest.mark.parametrize(
    ("ip", "truncated"),
    [
        ("203.0.113.77", "203.0.113.0"),
        ("2001:db8:abcd:12::1", "2001:db8:abcd::"),
        ("not an ip", None),
        (None, None),
    ],
)
def test_ip_addresses_are_truncated_before_they_are_stored(ip, truncated):
    assert truncate_ip(ip) == truncated


async def test_every_operation_records_one_usage_event_without_variables(
    runner, services, settings, tenant_a
):
    canary = "cnry-usage-7f3a@example.com"
    ctx = RequestContext(
        services=services,
        principal=tenant_a.principal(Role.SALES),
        client_ip="203.0.113.77",
        user_agent="pytest-agent",
    )
    mutation = (
        "mutation Create($input: ContactInput!) { createContact(input: $input) "
        "{ contact { id } } }"
    )
    result = await execute_operation(
        runner.schema, ctx, mutation, {"input": {"email": canary}}, "Create"
    )
    assert result.errors is None
    path = settings.database_url.split("///", 1)[1]
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT operation_name, operation_type, outcome, ip_truncated, user_agent "
            "FROM usage_event"
        ).fetchall()
        dump = "\n".join(db.iterdump())
    assert rows == [("Create", "mutation", "ok", "203.0.113.0", "pytest-agent")]
    usage_lines = [line for line in dump.splitlines() if "usage_event" in line]
    assert not any(canary in line for line in usage_lines)
