"""Policy section 2.3: usage data records who called which operation, how long it took
and how it ended, with a truncated IP, and never variables or response data."""

import sqlite3

import pytest

from auth.permissions import Role
from core.context import RequestContext
from privacy.usage import truncate_ip
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
        "mutation Create($input: CreateContactInput!) "
        "{ createContact(input: $input) { contact { id } } }"
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


async def usage_kinds(runner, services, settings, principal, query, name=None):
    ctx = RequestContext(services=services, principal=principal)
    await execute_operation(runner.schema, ctx, query, None, name)
    path = settings.database_url.split("///", 1)[1]
    with sqlite3.connect(path) as db:
        return [r[0] for r in db.execute("SELECT operation_type FROM usage_event")]


@pytest.mark.parametrize(
    ("query", "name", "kind"),
    [
        ("{ me { email } }", None, "query"),
        ("query A { me { email } } mutation B { logOut { ok } }", "B", "mutation"),
        ("query A { me { email } } mutation B { logOut { ok } }", "A", "query"),
        ("{ me { email ", None, "unknown"),
    ],
)
async def test_the_usage_log_records_the_kind_of_the_operation_that_ran(
    runner, services, settings, tenant_a, query, name, kind
):
    principal = tenant_a.principal(Role.SALES)
    assert await usage_kinds(runner, services, settings, principal, query, name) == [kind]


async def test_the_usage_log_reads_the_kind_from_the_one_parse_of_the_request(
    runner, services, settings, tenant_a, monkeypatch
):
    import schema.extensions

    parsed: list[str] = []
    real = schema.extensions.parse_with_token_limit

    def counting(query, *args, **kwargs):
        parsed.append(query)
        return real(query, *args, **kwargs)

    monkeypatch.setattr(schema.extensions, "parse_with_token_limit", counting)
    schema.extensions._cached_parse.cache_clear()
    query = "query Once { me { email } }"
    principal = tenant_a.principal(Role.SALES)
    assert await usage_kinds(runner, services, settings, principal, query) == ["query"]
    assert parsed == [query]
