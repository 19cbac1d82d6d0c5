"""Issue 10, the public intake of privacy requests: `submitPrivacyRequest` answers with
the same whole JSON whether the organisation exists, whether the address belongs to a
contact and whether a request is already open; an unknown organisation records nothing
and mails nobody; the single-use link mailed to the address verifies the request once
(`confirmPrivacyRequest`); the address is never stored in plain text; the intake is
rate limited by the `auth` bucket.

Probes go over HTTP without signing in; mail goes to a real SMTP server (aiosmtpd).
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text, update

from auth.permissions import Role
from core.settings import Settings
from models import AuditEvent, PrivacyRequest
from models.base import utcnow
from resolvers.global_ids import encode_id
from server.app import create_app
from server.seed import seed_demo
from tests.security.conftest import SMALL, Demo, Mailbox, route_mail, unique_email

SUBMIT = """
mutation($input: SubmitPrivacyRequestInput!) {
  submitPrivacyRequest(input: $input) { ok message }
}
"""
CONFIRM = "mutation($t: String!) { confirmPrivacyRequest(token: $t) { ok message } }"
CREATE_CONTACT = """
mutation($input: CreateContactInput!) { createContact(input: $input) { contact { id } } }
"""
REQUESTS = "{ privacyRequests { id contactId verification verificationMethod status dueOn } }"


def code(answer: dict[str, Any]) -> str:
    return answer["errors"][0]["extensions"]["code"]


async def submit(demo: Demo, email: str, tenant: str = "acme", **extra: Any) -> dict[str, Any]:
    return await demo.gql(
        SUBMIT, {"input": {"tenant": tenant, "kind": "ERASURE", "email": email, **extra}}
    )


async def known_contact(demo: Demo) -> tuple[str, str]:
    """A contact of acme with a fresh address: (its id, the address)."""
    email = unique_email()
    headers = await demo.headers("acme", Role.OWNER)
    answer = await demo.gql(
        CREATE_CONTACT, {"input": {"firstName": "Known", "lastName": "Person", "email": email}},
        headers,
    )  # fmt: skip
    assert "errors" not in answer, answer
    return answer["data"]["createContact"]["contact"]["id"], email


async def rows(demo: Demo, slug: str = "acme") -> list[PrivacyRequest]:
    async with demo.services.db.session(demo.tenants[slug].tenant_id) as session:
        return list((await session.execute(select(PrivacyRequest))).scalars())


async def raw_rows(demo: Demo, table: str) -> list[dict[str, Any]]:
    """Raw rows of one table in acme's scope (text SQL, below the ORM)."""
    async with demo.services.db.session(demo.tenants["acme"].tenant_id) as session:
        session.info["allow_text_sql"] = True
        result = await session.execute(text(f'SELECT * FROM "{table}"'))  # noqa: S608
        return [dict(row) for row in result.mappings()]


async def token_for(mailbox: Mailbox, address: str) -> str:
    """The token of the newest verification link mailed to `address`."""
    messages = [m for m in await mailbox.settle() if m["To"] == address]
    assert messages, f"no mail to {address}"
    assert messages[-1]["X-Ledgerline-Kind"] == "privacy_request_verification"
    found = re.search(r"/verify-privacy-request#token=([A-Za-z0-9_-]+)", messages[-1].get_content())
    assert found is not None
    return found.group(1)


async def test_the_answer_is_the_same_for_known_unknown_and_no_organisation(
    demo: Demo, mailbox: Mailbox
) -> None:
    _, known = await known_contact(demo)
    stranger = unique_email()
    nowhere = unique_email()
    acme_id = encode_id("Tenant", demo.tenants["acme"].tenant_id)
    answers = [
        await submit(demo, known),
        await submit(demo, stranger),
        await submit(demo, nowhere, tenant="no-such-organisation"),
        await submit(demo, known),  # a request of the same kind is already open
        await submit(demo, unique_email(), tenant=acme_id),
    ]  # fmt: skip
    assert all(a == answers[0] for a in answers), answers
    assert answers[0]["data"]["submitPrivacyRequest"]["ok"] is True
    await mailbox.settle()
    mailed = {r for rcpts in mailbox.recipients for r in rcpts}
    assert known in mailed and stranger in mailed
    assert nowhere not in mailed


async def test_an_unknown_organisation_records_nothing(demo: Demo, mailbox: Mailbox) -> None:
    before = {slug: len(await rows(demo, slug)) for slug in demo.tenants}
    events = {slug: len(await audit_events(demo, slug)) for slug in demo.tenants}
    await submit(demo, unique_email(), tenant="no-such-organisation")
    await submit(demo, unique_email(), tenant=encode_id("Tenant", uuid.uuid4()))
    assert {slug: len(await rows(demo, slug)) for slug in demo.tenants} == before
    assert {slug: len(await audit_events(demo, slug)) for slug in demo.tenants} == {
        slug: events[slug] for slug in demo.tenants
    }
    assert await mailbox.settle() == []


async def audit_events(demo: Demo, slug: str) -> list[AuditEvent]:
    async with demo.services.db.session(demo.tenants[slug].tenant_id) as session:
        return list((await session.execute(select(AuditEvent))).scalars())


async def test_a_known_person_s_request_is_unverified_and_names_the_contact(
    demo: Demo, mailbox: Mailbox
) -> None:
    contact, email = await known_contact(demo)
    await submit(demo, email, name="Known Person", details="please erase me")
    (found,) = [r for r in await rows(demo) if r.channel == "web_form"]
    assert encode_id("Contact", found.contact_id) == contact  # type: ignore[arg-type]
    assert (found.verification, found.status, found.requester) == (
        "unverified", "received", "data_subject"
    )  # fmt: skip
    assert found.verification_token_hash is not None and len(found.verification_token_hash) == 32
    assert found.verification_expires_at is not None
    assert timedelta(hours=71) < found.verification_expires_at - utcnow() <= timedelta(hours=72)
    assert found.due_on is not None


async def test_the_link_verifies_the_request_once(demo: Demo, mailbox: Mailbox) -> None:
    email = unique_email()
    await submit(demo, email)
    token = await token_for(mailbox, email)
    (before,) = [r for r in await rows(demo) if r.channel == "web_form"]
    assert before.contact_id is None and before.verification == "unverified"

    answer = await demo.gql(CONFIRM, {"t": token})
    assert answer["data"]["confirmPrivacyRequest"]["ok"] is True, answer
    (after,) = [r for r in await rows(demo) if r.id == before.id]
    assert (after.verification, after.verification_method, after.status) == (
        "verified", "email_confirmation", "verified"
    )  # fmt: skip
    assert after.verified_by is None and after.verified_at is not None
    assert after.verification_token_hash is None
    assert after.due_on == before.due_on  # the clock runs from receipt
    actions = [
        e.action for e in await audit_events(demo, "acme") if str(before.id) in (e.detail or "")
    ]
    assert actions == ["privacy_request_received", "privacy_request_verified"]
    assert all(
        e.actor_type == "public" and e.actor_id is None
        for e in await audit_events(demo, "acme")
        if str(before.id) in (e.detail or "")
    )

    again = await demo.gql(CONFIRM, {"t": token})
    assert code(again) == "PRIVACY_REQUEST_LINK_INVALID"
    admin = await demo.headers("acme", Role.OWNER)
    listed = (await demo.gql(REQUESTS, None, admin))["data"]["privacyRequests"]
    mine = [r for r in listed if r["id"] == encode_id("PrivacyRequest", before.id)]
    assert mine and mine[0]["verification"] == "VERIFIED" and mine[0]["contactId"] is None


async def test_expired_forged_and_superseded_links_answer_one_code(
    demo: Demo, mailbox: Mailbox
) -> None:
    email = unique_email()
    await submit(demo, email)
    first = await token_for(mailbox, email)
    await submit(demo, email)  # the same request again: a new link, the old one stops
    second = await token_for(mailbox, email)
    assert first != second
    assert len([r for r in await rows(demo) if r.channel == "web_form"]) == 1
    forged = second[:-4] + ("AAAA" if not second.endswith("AAAA") else "BBBB")
    answers = [
        await demo.gql(CONFIRM, {"t": first}),
        await demo.gql(CONFIRM, {"t": forged}),
        await demo.gql(CONFIRM, {"t": "not a token"}),
    ]
    async with demo.services.db.session(demo.tenants["acme"].tenant_id) as session:
        await session.execute(
            update(PrivacyRequest)
            .where(PrivacyRequest.channel == "web_form")  # type: ignore[arg-type]
            .values(verification_expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    answers.append(await demo.gql(CONFIRM, {"t": second}))
    assert [code(a) for a in answers] == ["PRIVACY_REQUEST_LINK_INVALID"] * 4
    assert len({a["errors"][0]["message"] for a in answers}) == 1
    (still,) = [r for r in await rows(demo) if r.channel == "web_form"]
    assert still.verification == "unverified"


async def test_the_address_is_never_stored_in_plain_text(demo: Demo, mailbox: Mailbox) -> None:
    email = unique_email()
    marker = "canary-details-7f3a"
    await submit(demo, email, name="Canary Name 7f3a", details=marker)
    found = False
    for row in await raw_rows(demo, "privacy_request"):
        if row["channel"] != "web_form":
            continue
        found = True
        for column, value in row.items():
            raw = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
            for needle in (email, email.split("@")[0], "Canary Name 7f3a", marker):
                assert needle.encode() not in raw, column
        assert row["requester_email_enc"] and row["requester_email_bidx"]
    assert found
    for row in await raw_rows(demo, "audit_event"):
        assert email not in str(row) and marker not in str(row)


@pytest.fixture
async def limited(settings: Settings) -> AsyncIterator[Demo]:
    """The demo with a small `auth` bucket (2 a minute per client IP)."""
    app = create_app(settings.model_copy(update={"rate_limit_auth": "2/minute"}), migrate=False)
    async with app.router.lifespan_context(app):
        seeded = await seed_demo(app.state.services, SMALL)
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 4321))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Demo(client, app, {t.slug: t for t in seeded})


async def test_the_intake_is_rate_limited(limited: Demo) -> None:
    for _ in range(2):
        assert "errors" not in await submit(limited, unique_email())
    before = len(await rows(limited))
    refused = await submit(limited, unique_email())
    assert code(refused) == "RATE_LIMITED"
    assert refused["errors"][0]["extensions"]["retryAfter"] >= 1
    assert len(await rows(limited)) == before
    confirm = await limited.gql(CONFIRM, {"t": "anything"})
    assert code(confirm) == "RATE_LIMITED"


async def test_a_link_moved_to_another_tenant_is_invalid(demo: Demo, mailbox: Mailbox) -> None:
    """The token names its tenant; the same secret under another tenant finds nothing."""
    email = unique_email()
    await submit(demo, email)
    token = await token_for(mailbox, email)
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    moved = demo.tenants["globex"].tenant_id.bytes + raw[16:]
    elsewhere = base64.urlsafe_b64encode(moved).rstrip(b"=").decode()
    assert code(await demo.gql(CONFIRM, {"t": elsewhere})) == "PRIVACY_REQUEST_LINK_INVALID"
    assert "errors" not in await demo.gql(CONFIRM, {"t": token})


async def test_a_verified_repeat_is_linked_to_the_open_request(
    demo: Demo, mailbox: Mailbox
) -> None:
    """The contact already has an open, verified erasure request: verifying the intake
    counts a repeat on it instead of recording a second one."""
    contact, email = await known_contact(demo)
    admin = await demo.headers("acme", Role.OWNER)
    logged = await demo.gql(
        "mutation($c: ID!) { logPrivacyRequest(input: {contact: $c, kind: ERASURE, "
        "channel: EMAIL}) { request { id } } }",
        {"c": contact},
        admin,
    )
    open_id = logged["data"]["logPrivacyRequest"]["request"]["id"]
    verified = await demo.gql(
        "mutation($r: ID!) { verifyPrivacyRequest(request: $r, method: EMAIL_CONFIRMATION) "
        "{ request { verification } } }",
        {"r": open_id},
        admin,
    )
    assert "errors" not in verified, verified
    await submit(demo, email)
    assert "errors" not in await demo.gql(CONFIRM, {"t": await token_for(mailbox, email)})
    mine = [r for r in await rows(demo) if r.contact_id is not None]
    assert [encode_id("PrivacyRequest", r.id) for r in mine] == [open_id]
    assert mine[0].repeats == 1


# --- PostgreSQL: the application's role under row-level security -----------------------


@pytest.mark.postgres
async def test_intake_and_confirmation_on_postgresql(pg_demo: Demo, smtp_server: Mailbox) -> None:
    route_mail(pg_demo, smtp_server)
    _, known = await known_contact(pg_demo)
    answers = [
        await submit(pg_demo, known),
        await submit(pg_demo, unique_email()),
        await submit(pg_demo, unique_email(), tenant="no-such-organisation"),
    ]
    assert all(a == answers[0] for a in answers) and "errors" not in answers[0]
    answer = await pg_demo.gql(CONFIRM, {"t": await token_for(smtp_server, known)})
    assert answer["data"]["confirmPrivacyRequest"]["ok"] is True, answer
    found = [r for r in await rows(pg_demo) if r.channel == "web_form"]
    assert sorted(r.verification for r in found) == ["unverified", "verified"]
    assert [r.contact_id is not None for r in found if r.verification == "verified"] == [True]
    assert await rows(pg_demo, "globex") == []
