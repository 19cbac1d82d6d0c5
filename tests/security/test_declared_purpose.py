"""Issue 8, purpose limitation: a request is processed under one declared purpose.

Marketing may act under marketing (its default, the first in ROLE_GRANTS) and
analytics. Before the fix a marketing request was decided under the union of both, so
a person who objected to marketing but had consented to analytics showed their job
title, address and date of birth to a marketing request. Now the purpose is the role's
default or the one the client declares with `X-Ledgerline-Purpose`, and every decision
(both executors, filters, the read audit) uses that one alone; a purpose the role may
not act under is refused before anything executes.

The demo's "objected" people consented to marketing and analytics, then objected to
marketing (server/seed.py).
"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from auth.permissions import Role
from models import AuditEvent, AuditSubject, Contact, UsageEvent
from resolvers.global_ids import decode_id
from server.seed import DEMO_PASSWORD
from tests.security.conftest import Demo

PROFILE = "jobTitle address dateOfBirth"
STATES = "query { contacts(first: 100) { nodes { id consents { purpose status objected } } } }"


async def objected_to_marketing(demo: Demo) -> str:
    """A demo person who objected to marketing and consented to analytics."""
    answer = await demo.gql(STATES, None, await demo.headers("acme", Role.OWNER))
    for node in answer["data"]["contacts"]["nodes"]:
        standing = {c["purpose"]: c for c in node["consents"]}
        marketing, analytics = standing.get("marketing"), standing.get("analytics")
        if marketing and marketing["objected"] and analytics and analytics["status"] == "granted":
            return node["id"]
    raise AssertionError("the demo has no person who objected to marketing")


async def read(demo: Demo, contact: str, selection: str, headers: dict[str, str]) -> Any:
    return await demo.gql(
        f"query($id: ID!) {{ contact(id: $id) {{ {selection} }} }}", {"id": contact}, headers
    )


async def post(demo: Demo, query: str, variables: dict[str, Any], headers: dict[str, str]):
    response = await demo.client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"accept": "application/json", **headers},
    )
    demo.client.cookies.clear()
    return response


async def count(demo: Demo, model: Any) -> int:
    await demo.services.extras["audit_sink"].drain()
    async with demo.services.db.session(demo.tenants["acme"].tenant_id) as session:
        return len((await session.execute(select(model))).scalars().all())


async def audited_purposes(demo: Demo, contact: str) -> list[str]:
    """The `purposes` of every read audit row about `contact`, oldest first."""
    await demo.services.extras["audit_sink"].drain()
    async with demo.services.db.session(demo.tenants["acme"].tenant_id) as session:
        rows = await session.execute(
            select(AuditSubject.purposes)
            .where(AuditSubject.subject_id == decode_id(contact)[1])
            .order_by(AuditSubject.occurred_at)
        )
        return list(rows.scalars())


async def test_marketing_by_default_sees_no_profile_of_a_person_who_objected_to_marketing(
    demo: Demo,
) -> None:
    contact = await objected_to_marketing(demo)
    answer = await read(demo, contact, PROFILE, await demo.headers("acme", Role.MARKETING))
    assert answer["data"] == {"contact": {"jobTitle": None, "address": None, "dateOfBirth": None}}
    assert answer["extensions"]["redactions"] == [
        {"path": ["contact", "jobTitle"], "reason": "OBJECTED", "category": "JOB"},
        {"path": ["contact", "address"], "reason": "OBJECTED", "category": "POSTAL_ADDRESS"},
        {"path": ["contact", "dateOfBirth"], "reason": "OBJECTED", "category": "DATE_OF_BIRTH"},
    ]


async def test_marketing_list_by_default_shows_no_profile_of_anyone_who_objected(
    demo: Demo,
) -> None:
    """The same through a list (the fast executor answers lists)."""
    contact = await objected_to_marketing(demo)
    answer = await demo.gql(
        f"{{ contacts(first: 100) {{ nodes {{ id {PROFILE} }} }} }}",
        None,
        await demo.headers("acme", Role.MARKETING),
    )
    [node] = [n for n in answer["data"]["contacts"]["nodes"] if n["id"] == contact]
    assert node == {"id": contact, "jobTitle": None, "address": None, "dateOfBirth": None}


async def test_declaring_analytics_shows_what_analytics_may_see_and_nothing_else(
    demo: Demo,
) -> None:
    contact = await objected_to_marketing(demo)
    owner = await read(demo, contact, "jobTitle address", await demo.headers("acme", Role.OWNER))
    headers = {**await demo.headers("acme", Role.MARKETING), "x-ledgerline-purpose": "analytics"}
    answer = await read(demo, contact, f"{PROFILE} email", headers)
    shown = answer["data"]["contact"]
    assert {k: shown[k] for k in ("jobTitle", "address")} == owner["data"]["contact"]
    assert shown["jobTitle"] is not None and shown["address"] is not None
    assert shown["dateOfBirth"] is not None
    assert shown["email"] is None  # analytics never uses the email
    assert answer["extensions"]["redactions"] == [
        {"path": ["contact", "email"], "reason": "PURPOSE_NOT_PERMITTED", "category": "EMAIL"}
    ]


async def test_a_filter_searches_only_what_the_declared_purpose_may_use(demo: Demo) -> None:
    """The filters' SQL mirror: analytics never uses names, so declaring it finds nobody
    by name, even people marketing could find."""
    query = "query($q: String!) { contacts(filter: {search: $q}, first: 10) { nodes { id } } }"
    marketing = await demo.headers("acme", Role.MARKETING)
    everyone = await demo.gql("{ contacts(first: 100) { nodes { firstName } } }", None, marketing)
    name = next(n["firstName"] for n in everyone["data"]["contacts"]["nodes"] if n["firstName"])
    found = await demo.gql(query, {"q": name}, marketing)
    assert found["data"]["contacts"]["nodes"] != []
    declared = {**marketing, "x-ledgerline-purpose": "analytics"}
    assert (await demo.gql(query, {"q": name}, declared))["data"] == {"contacts": {"nodes": []}}


async def test_an_undeclarable_purpose_is_refused_before_anything_executes(demo: Demo) -> None:
    contact = await objected_to_marketing(demo)
    before = [await count(demo, m) for m in (AuditEvent, AuditSubject, UsageEvent)]
    headers = {**await demo.headers("acme", Role.MARKETING), "x-ledgerline-purpose": "sales"}
    response = await post(
        demo,
        'mutation($c: ID!) { updateContact(id: $c, input: {jobTitle: "Changed"}) '
        "{ contact { jobTitle email } } }",
        {"c": contact},
        headers,
    )
    assert response.status_code == 403
    assert response.json() == {
        "errors": [
            {
                "message": "Your role may not act under the purpose this request declares.",
                "extensions": {"code": "PURPOSE_NOT_ALLOWED"},
            }
        ]
    }
    async with demo.services.db.session(demo.tenants["acme"].tenant_id) as session:
        cipher = await demo.services.keyring.cipher(session, demo.tenants["acme"].tenant_id)
        row = await session.get(Contact, decode_id(contact)[1])
        assert row is not None and cipher.decrypt(row.job_title_enc) != "Changed"
    await demo.services.extras["audit_sink"].drain()
    assert [await count(demo, m) for m in (AuditEvent, AuditSubject, UsageEvent)] == before


async def test_an_unknown_purpose_is_refused(demo: Demo) -> None:
    headers = {**await demo.headers("acme", Role.OWNER), "x-ledgerline-purpose": "espionage"}
    response = await post(demo, "{ me { purpose } }", {}, headers)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == {"code": "PURPOSE_NOT_ALLOWED"}


async def test_a_cookie_session_declaring_an_undeclarable_purpose_is_refused(
    demo: Demo,
) -> None:
    client: httpx.AsyncClient = demo.client
    logged_in = await client.post(
        "/graphql",
        json={
            "query": "mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { ok } }",
            "variables": {"e": demo.email("acme", Role.MARKETING), "p": DEMO_PASSWORD},
        },
    )
    assert logged_in.json()["data"] == {"logIn": {"ok": True}}
    csrf = client.cookies["ll_csrf"]
    refused = await client.post(
        "/graphql",
        json={"query": "{ me { purpose } }"},
        headers={"x-csrf-token": csrf, "x-ledgerline-purpose": "support"},
    )
    allowed = await client.post(
        "/graphql",
        json={"query": "{ me { purpose } }"},
        headers={"x-csrf-token": csrf, "x-ledgerline-purpose": "analytics"},
    )
    client.cookies.clear()
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"] == {"code": "PURPOSE_NOT_ALLOWED"}
    assert allowed.json() == {"data": {"me": {"purpose": "ANALYTICS"}}}


async def test_the_read_audit_records_the_declared_purpose(demo: Demo) -> None:
    contact = await objected_to_marketing(demo)
    marketing = await demo.headers("acme", Role.MARKETING)
    await read(demo, contact, PROFILE, marketing)
    await read(demo, contact, PROFILE, {**marketing, "x-ledgerline-purpose": "analytics"})
    assert await audited_purposes(demo, contact) == ["marketing", "analytics"]


async def test_me_lists_the_purposes_the_role_may_declare_and_the_declared_one(
    demo: Demo,
) -> None:
    marketing = await demo.headers("acme", Role.MARKETING)
    query = "{ me { purposes purpose } }"
    assert (await demo.gql(query, None, marketing))["data"] == {
        "me": {"purposes": ["MARKETING", "ANALYTICS"], "purpose": "MARKETING"}
    }
    declared = {**marketing, "x-ledgerline-purpose": "analytics"}
    assert (await demo.gql(query, None, declared))["data"] == {
        "me": {"purposes": ["MARKETING", "ANALYTICS"], "purpose": "ANALYTICS"}
    }
