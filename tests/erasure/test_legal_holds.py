"""Legal holds (policy sections 5 and 9; issue 10): privacy admins place, release and
list them, each change audited with ids only; while a hold is active, erasing or
deleting what it covers answers LEGAL_HOLD and changes nothing."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from auth.permissions import Role
from core.services import Services
from models import AuditEvent, Contact
from resolvers.global_ids import decode_id, encode_id
from tests.erasure.conftest import DELETE, ERASE, PLACE, Steps, codes
from tests.isolation.test_cross_tenant_matrix import as_json
from tests.support.world import TenantWorld

RELEASE = "mutation($h: ID!) { releaseLegalHold(hold: $h) { hold { id active releasedBy } } }"
LIST = "query($all: Boolean!) { legalHolds(activeOnly: $all) { id scope active reason } }"


async def test_a_hold_is_placed_on_a_contact_with_its_reason_and_reference(steps: Steps) -> None:
    contact = await steps.contact()
    data = await steps.ok(PLACE, reason="claim 17", contact=contact, reference="CASE-17")
    hold = data["placeLegalHold"]["hold"]
    assert (hold["scope"], hold["contactId"], hold["reason"], hold["reference"]) == (
        "CONTACT",
        contact,
        "claim 17",
        "CASE-17",
    )
    assert hold["active"] is True and hold["placedBy"] is not None


async def test_a_hold_without_contact_or_company_covers_the_workspace(steps: Steps) -> None:
    data = await steps.ok(PLACE, reason="regulator order")
    assert data["placeLegalHold"]["hold"]["scope"] == "WORKSPACE"


async def test_a_hold_on_both_a_contact_and_a_company_is_refused(steps: Steps) -> None:
    contact = await steps.contact()
    company = await steps.company()
    result = await steps.run(PLACE, reason="x", contact=contact, company=company)
    assert codes(result) == ["BAD_USER_INPUT"]


async def test_a_hold_needs_a_reason(steps: Steps) -> None:
    assert codes(await steps.run(PLACE, reason="  ")) == ["BAD_USER_INPUT"]


async def test_only_privacy_admins_place_holds(steps: Steps) -> None:
    result = await steps.run(PLACE, Role.SALES, reason="claim")
    assert codes(result) == ["FORBIDDEN"]


async def test_a_hold_on_another_tenants_contact_is_not_found(
    steps: Steps, tenant_b: TenantWorld
) -> None:
    theirs = await Steps(steps.runner, tenant_b).contact()
    assert codes(await steps.run(PLACE, reason="x", contact=theirs)) == ["NOT_FOUND"]


async def test_a_released_hold_stays_listed_but_inactive(steps: Steps) -> None:
    hold = await steps.hold()
    released = (await steps.ok(RELEASE, h=hold))["releaseLegalHold"]["hold"]
    assert released["active"] is False and released["releasedBy"] is not None
    assert (await steps.ok(LIST, all=True))["legalHolds"] == []
    assert [h["id"] for h in (await steps.ok(LIST, all=False))["legalHolds"]] == [hold]


async def test_releasing_a_hold_twice_is_a_conflict(steps: Steps) -> None:
    hold = await steps.hold()
    await steps.ok(RELEASE, h=hold)
    assert codes(await steps.run(RELEASE, h=hold)) == ["CONFLICT"]


async def test_placing_and_releasing_are_audited_with_ids_only(
    steps: Steps, services: Services
) -> None:
    contact = await steps.contact()
    hold = await steps.hold("secret matter of Dana", contact=contact)
    await steps.ok(RELEASE, h=hold)
    async with services.db.session(steps.world.tenant_id) as session:
        events = (
            await session.execute(
                select(AuditEvent.action, AuditEvent.detail).where(
                    AuditEvent.action.in_(["legal_hold_placed", "legal_hold_released"])  # type: ignore[attr-defined]
                )
            )
        ).all()
    hold_id = str(decode_id(hold)[1])
    assert sorted(a for a, _ in events) == ["legal_hold_placed", "legal_hold_released"]
    assert all(hold_id in (d or "") and "Dana" not in (d or "") for _, d in events)


async def test_erasing_a_held_contact_answers_legal_hold_and_erases_nothing(
    steps: Steps, services: Services
) -> None:
    contact = await steps.contact()
    await steps.hold(contact=contact)
    result = await steps.run(ERASE, c=contact)
    assert codes(result) == ["LEGAL_HOLD"]
    async with services.db.session(steps.world.tenant_id) as session:
        row = (
            await session.execute(select(Contact).where(Contact.id == decode_id(contact)[1]))
        ).scalar_one()
    assert row.erased_at is None and row.first_name == "Dana"


async def test_deleting_a_contact_under_a_workspace_hold_answers_legal_hold(steps: Steps) -> None:
    contact = await steps.contact()
    await steps.hold()
    assert codes(await steps.run(DELETE, id=contact)) == ["LEGAL_HOLD"]


async def test_a_hold_on_the_contacts_company_blocks_their_erasure(steps: Steps) -> None:
    company = await steps.company()
    contact = await steps.contact(company=company)
    await steps.hold(company=company)
    assert codes(await steps.run(ERASE, c=contact)) == ["LEGAL_HOLD"]


async def test_after_release_the_contact_can_be_erased(steps: Steps) -> None:
    contact = await steps.contact()
    hold = await steps.hold(contact=contact)
    await steps.ok(RELEASE, h=hold)
    data = await steps.ok(ERASE, c=contact)
    assert data["eraseContact"]["contact"]["erased"] is True


async def test_releasing_another_tenants_hold_answers_like_a_hold_that_never_existed(
    steps: Steps, tenant_b: TenantWorld
) -> None:
    theirs = await Steps(steps.runner, tenant_b).hold()
    never = encode_id("LegalHold", uuid.uuid4())
    foreign = await steps.run(RELEASE, h=theirs)
    missing = await steps.run(RELEASE, h=never)
    assert as_json(foreign) == as_json(missing)
    assert codes(foreign) == ["NOT_FOUND"]
