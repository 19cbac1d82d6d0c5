"""A legal hold blocks every deletion path of issue 11 (privacy/holds.py): each delete
mutation answers LEGAL_HOLD and changes nothing, and the purge skips what a hold covers
(a contact, a company and what hangs off it, or the whole workspace) and removes it
once the hold is released."""

from __future__ import annotations

import pytest

from tests.erasure.conftest import codes
from tests.retention.conftest import DELETES, TRASH, World, ago, counts

RELEASE = "mutation($h: ID!) { releaseLegalHold(hold: $h) { hold { id active } } }"


async def records(world: World) -> dict[str, str]:
    company = await world.company()
    contact = await world.contact(company=company)
    deal = await world.deal(contact=contact, company=company)
    activity = await world.activity(contact=contact)
    return {"Company": company, "Contact": contact, "Deal": deal, "Activity": activity}


@pytest.mark.parametrize("type_name", ["Contact", "Company", "Deal", "Activity"])
async def test_a_hold_on_the_company_refuses_each_delete_mutation(
    world: World, type_name: str
) -> None:
    """The contact works for the company; the deal and the activity are about them."""
    found = await records(world)
    await world.hold(company=found["Company"])
    result = await world.run(DELETES[type_name], id=found[type_name])
    if type_name == "Activity":  # linked to the contact only: their hold, not the company's
        assert codes(result) == [], result.errors
        return
    assert codes(result) == ["LEGAL_HOLD"]
    assert (await world.ok(TRASH))["trash"] == []


@pytest.mark.parametrize("type_name", ["Contact", "Deal", "Activity"])
async def test_a_hold_on_the_contact_refuses_deleting_them_and_what_is_about_them(
    world: World, type_name: str
) -> None:
    found = await records(world)
    await world.hold(contact=found["Contact"])
    assert codes(await world.run(DELETES[type_name], id=found[type_name])) == ["LEGAL_HOLD"]


async def test_a_workspace_hold_refuses_every_delete_mutation(world: World) -> None:
    found = await records(world)
    await world.hold()
    answers = {t: codes(await world.run(DELETES[t], id=gid)) for t, gid in found.items()}
    assert answers == {t: ["LEGAL_HOLD"] for t in found}


async def test_the_purge_skips_a_trashed_record_placed_on_hold_and_takes_it_once_released(
    world: World,
) -> None:
    contact = await world.contact()
    await world.delete(contact)
    await world.age(contact, deleted_at=ago(40))
    hold = await world.hold(contact=contact)
    assert counts(await world.purge(), world.world.tenant_id) == {}
    await world.ok(RELEASE, h=hold)
    assert counts(await world.purge(), world.world.tenant_id) == {"trash: contacts (erased)": 1}


async def test_the_purge_skips_an_inactive_prospect_whose_company_is_on_hold(
    world: World,
) -> None:
    company = await world.company()
    contact = await world.contact(company=company)
    await world.age(contact, updated_at=ago(4 * 365))
    await world.hold(company=company)
    assert counts(await world.purge(), world.world.tenant_id) == {}


async def test_the_purge_skips_a_workspace_on_hold_entirely(world: World) -> None:
    contact = await world.contact()
    await world.delete(contact)
    await world.age(contact, deleted_at=ago(40))
    await world.hold()
    report = await world.purge()
    tenant = next(t for t in report.tenants if t.tenant_id == world.world.tenant_id)
    assert tenant.held and tenant.counts == {}
