"""Policy versions (policy section 12, privacy/policy_versions.py): a material version in
force puts `extensions.policy` on every response to a user who has not acknowledged
it; `acknowledgePolicy` records an append-only acceptance and ends the notice; a
version that adds a consent-based purpose gives nobody's consent to it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import exc, select, text
from sqlmodel import col

from auth.accounts import CURRENT_POLICY_VERSION
from auth.permissions import Role
from core.services import Services
from core.settings import Settings
from models import ConsentEvent, ConsentState, PolicyAcceptance, PolicyVersion
from models.base import utcnow
from privacy.policy_versions import PolicyVersionError, publish
from privacy.purposes import Purpose
from tests.support.world import Runner, TenantWorld, make_tenant

NEW = "2027-01-15"
READ = "{ contacts(first: 1) { nodes { id } } }"
ACK = "mutation($v: String!) { acknowledgePolicy(version: $v) { version } }"
CREATE = "mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } } }"
GRANT = """mutation($c: ID!) { recordConsent(contact: $c, consent: {purpose: MARKETING,
  granted: true, source: "web form", evidence: "signed sheet"}) { contact { id } } }"""
VERSIONS = "{ policyVersions { version effectiveDate material inForce newConsentPurposes } }"


async def publish_new(services: Services, **overrides: Any) -> None:
    options: dict[str, Any] = {
        "version": NEW, "text": "the new text", "effective_at": utcnow(),
    }  # fmt: skip
    await publish(services, **{**options, **overrides})


async def run(runner: Runner, world: TenantWorld, query: str, **variables: Any) -> Any:
    return await runner(world.principal(Role.SALES), query, variables)


async def acceptances(services: Services, world: TenantWorld) -> list[tuple[str, str]]:
    async with services.db.session(None) as session:
        rows = await session.execute(
            select(col(PolicyAcceptance.version), col(PolicyAcceptance.method))
            .where(col(PolicyAcceptance.user_id) == world.users[Role.SALES])
            .order_by(col(PolicyAcceptance.version))
        )
        return [(v, m) for v, m in rows]


async def test_a_user_who_acknowledged_the_version_in_force_gets_no_notice(
    runner: Runner, tenant_a: TenantWorld
) -> None:
    result = await run(runner, tenant_a, READ)
    assert "policy" not in (result.extensions or {})


async def test_every_response_carries_the_notice_of_a_new_material_version(
    runner: Runner, services: Services, tenant_a: TenantWorld
) -> None:
    await publish_new(services)
    notice = {
        "version": NEW,
        "effectiveDate": utcnow().date().isoformat(),
        "url": f"{services.settings.app_url}/privacy",
        "newConsentPurposes": [],
    }
    read = await run(runner, tenant_a, READ)
    write = await run(runner, tenant_a, CREATE, i={"firstName": "Ada"})
    refused = await run(runner, tenant_a, '{ contact(id: "nope") { id } }')
    assert refused.errors
    assert [r.extensions["policy"] for r in (read, write, refused)] == [notice] * 3


async def test_a_version_not_yet_in_force_gives_no_notice(
    runner: Runner, services: Services, tenant_a: TenantWorld
) -> None:
    await publish_new(services, effective_at=utcnow() + timedelta(days=30))
    assert "policy" not in ((await run(runner, tenant_a, READ)).extensions or {})


async def test_an_editorial_version_gives_no_notice(
    runner: Runner, services: Services, tenant_a: TenantWorld
) -> None:
    await publish_new(services, material=False)
    assert "policy" not in ((await run(runner, tenant_a, READ)).extensions or {})


async def test_acknowledging_records_an_acceptance_and_ends_the_notice(
    runner: Runner, services: Services, tenant_a: TenantWorld
) -> None:
    await publish_new(services)
    acked = await run(runner, tenant_a, ACK, v=NEW)
    assert acked.errors is None, acked.errors
    assert acked.data == {"acknowledgePolicy": {"version": NEW}}
    assert "policy" not in (acked.extensions or {})
    assert "policy" not in ((await run(runner, tenant_a, READ)).extensions or {})
    await run(runner, tenant_a, ACK, v=NEW)  # again: nothing more is recorded
    assert await acceptances(services, tenant_a) == [
        (CURRENT_POLICY_VERSION, "signup_checkbox"), (NEW, "acknowledge_mutation"),
    ]  # fmt: skip


async def test_acknowledging_a_version_not_in_force_is_refused(
    runner: Runner, services: Services, tenant_a: TenantWorld
) -> None:
    await publish_new(services, effective_at=utcnow() + timedelta(days=30))
    refused = await run(runner, tenant_a, ACK, v=NEW)
    assert refused.errors[0].extensions == {"code": "BAD_USER_INPUT", "field": "version"}
    assert await acceptances(services, tenant_a) == [(CURRENT_POLICY_VERSION, "signup_checkbox")]


async def test_a_version_adding_a_consent_purpose_extends_no_existing_consent(
    runner: Runner, services: Services, tenant_a: TenantWorld
) -> None:
    owner = tenant_a.principal(Role.OWNER)
    created = await runner(owner, CREATE, {"i": {"firstName": "Ada"}})
    contact = created.data["createContact"]["contact"]["id"]
    assert (await runner(owner, GRANT, {"c": contact})).errors is None
    await publish_new(services, consent_purposes_added=(Purpose.THIRD_PARTY_SHARING,))
    notice = (await run(runner, tenant_a, READ)).extensions["policy"]
    assert notice["newConsentPurposes"] == ["third_party_sharing"]
    assert (await run(runner, tenant_a, ACK, v=NEW)).errors is None
    async with services.db.session(tenant_a.tenant_id) as session:
        states = (await session.execute(select(ConsentState))).scalars().all()
        events = (await session.execute(select(ConsentEvent))).scalars().all()
    assert [(s.purpose, s.status) for s in states] == [("marketing", "granted")]
    assert [e.purpose for e in events] == ["marketing"]


async def test_only_a_consent_based_purpose_can_be_announced_as_added(services: Services) -> None:
    with pytest.raises(PolicyVersionError, match="does not rest on consent"):
        await publish_new(services, consent_purposes_added=(Purpose.SALES,))


async def test_the_versions_are_listed_with_the_one_in_force(
    runner: Runner, services: Services
) -> None:
    await publish_new(services, consent_purposes_added=(Purpose.THIRD_PARTY_SHARING,))
    listed = (await runner(None, VERSIONS)).data["policyVersions"]
    assert [(v["version"], v["inForce"], v["newConsentPurposes"]) for v in listed] == [
        (NEW, True, ["third_party_sharing"]), (CURRENT_POLICY_VERSION, False, []),
    ]  # fmt: skip


def test_the_cli_publishes_the_policy_as_rendered(settings: Settings) -> None:
    from typer.testing import CliRunner

    from server.cli import app as cli
    from server.privacy_page import render_text

    result = CliRunner().invoke(
        cli, ["policy", "publish", NEW, "--effective", "2027-02-01",
              "--adds-consent-purpose", "third_party_sharing"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output

    async def stored() -> PolicyVersion | None:
        services = Services.from_settings(settings)
        try:
            async with services.db.session(None) as session:
                return await session.get(PolicyVersion, NEW)
        finally:
            await services.close()

    row = asyncio.run(stored())
    assert row is not None
    assert (row.text, row.effective_at.isoformat(), row.material) == (
        render_text(), "2027-02-01T00:00:00+00:00", True,
    )  # fmt: skip


# --- acceptances are append-only at the database ----------------------------------------


async def test_the_application_cannot_rewrite_an_acceptance(store: Services) -> None:
    world = await make_tenant(store, f"Versions {uuid.uuid4().hex[:6]}")
    user = world.users[Role.SALES]
    with pytest.raises(exc.DBAPIError, match="append-only|permission denied"):
        async with store.db.session(None, user_scope=user) as session:
            session.info["allow_text_sql"] = True
            await session.execute(
                text("UPDATE policy_acceptance SET method = 'forged' WHERE user_id = :u"),
                {"u": user.hex if not store.db.is_postgres else str(user)},
            )
            await session.commit()
