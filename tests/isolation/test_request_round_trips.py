"""A small read costs a fixed number of database round trips (issue 13), counted at the
engine (bench/roundtrips.py) on both backends: a statement added to the request path
fails here, deterministically, long before a benchmark would show it.

The request is the served one: a verified bearer token whose membership and session
are checked inside the operation's transaction, the read audit and usage record
handed to the write-behind sink (as server/app.py runs it).
"""

from __future__ import annotations

from typing import Any

import pytest

from auth.permissions import Role
from auth.sessions import CookieCredential, Credential, open_session, verify_bearer
from bench.roundtrips import RoundTrips, counting
from core.context import RequestContext
from core.services import Services
from privacy.audit import AuditSink
from resolvers.global_ids import encode_id
from schema.build import build_schema
from schema.extensions import schema_extensions
from server.execution import execute_operation
from tests.isolation.conftest import Seeded
from tests.support.world import TenantWorld, access_token

ONE_CONTACT = "query($id: ID!) { contact(id: $id) { id firstName lastName email } }"

# PostgreSQL: begin, the tenant scope with the credential's check, the query, commit.
# SQLite (in-process calls, no scope): the bearer's check or the cookie's session and
# role, the query.
FLOOR = {
    ("sqlite", "bearer"): {"begin": 1, "statements": 2, "prepares": 0, "commit": 1},
    ("sqlite", "cookie"): {"begin": 1, "statements": 3, "prepares": 0, "commit": 1},
    ("postgresql", "bearer"): {"begin": 1, "statements": 2, "prepares": 0, "commit": 1},
    ("postgresql", "cookie"): {"begin": 1, "statements": 2, "prepares": 0, "commit": 1},
}


async def credential(services: Services, world: TenantWorld, kind: str) -> Credential:
    """A sales member's bearer token (verified) or session cookie."""
    user = world.users[Role.SALES]
    if kind == "bearer":
        token = await access_token(services, world.tenant_id, user, Role.SALES)
        return verify_bearer(services, token)
    return CookieCredential((await open_session(services, user, world.tenant_id, "cookie")).secret)


async def one_contact(
    services: Services, world: TenantWorld, seeded: Seeded, kind: str = "bearer"
) -> RoundTrips:
    """Round trips of a warm single-contact read as a sales member."""
    schema = build_schema(extensions=schema_extensions(services.settings))
    presented = await credential(services, world, kind)
    variables = {"id": encode_id("Contact", seeded.contact_id)}

    async def read() -> Any:
        ctx = RequestContext(services=services, principal=None, credential=presented)
        result = await execute_operation(schema, ctx, ONE_CONTACT, variables)
        assert result.errors is None, result.errors
        assert result.data["contact"]["id"] == variables["id"]

    await read()  # warm: the tenant's cipher, the connection's prepared statements
    with counting(services.db.engine) as trips:
        await read()
    return trips


@pytest.mark.parametrize("kind", ["bearer", "cookie"])
async def test_a_single_contact_read_costs_a_fixed_number_of_round_trips(
    backend: str,
    kind: str,
    services: Services,
    tenant_a: TenantWorld,
    seeded_a: Seeded,
    sink: AuditSink,
) -> None:
    trips = await one_contact(services, tenant_a, seeded_a, kind)
    got = {k: v for k, v in trips.as_dict().items() if k in ("begin", "statements", "prepares",
                                                             "commit")}  # fmt: skip
    assert got == FLOOR[backend, kind], trips.sql
    assert trips.rollback == 0


async def test_the_read_audit_and_usage_record_are_written_behind_the_request(
    backend: str, services: Services, tenant_a: TenantWorld, seeded_a: Seeded, sink: AuditSink
) -> None:
    trips = await one_contact(services, tenant_a, seeded_a)
    assert "INSERT" not in trips.kinds, trips.sql
