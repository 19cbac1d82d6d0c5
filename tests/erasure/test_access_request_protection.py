"""An open request that needs the person's data (access, portability, rectification,
restriction) protects it until it completes (issue 11): every deletion path answers it
as a hold (LEGAL_HOLD)."""

from __future__ import annotations

from auth.permissions import Role
from core.services import Services
from privacy.holds import active_holds
from resolvers.global_ids import decode_id
from tests.erasure.conftest import DELETE, ERASE, Steps, codes

COMPLETE = (
    'mutation($r: ID!) { completePrivacyRequest(request: $r, evidence: "package sent") '
    "{ request { id status } } }"
)


async def test_an_open_access_request_blocks_the_persons_erasure(steps: Steps) -> None:
    contact = await steps.contact()
    await steps.request(contact, kind="ACCESS")
    result = await steps.run(ERASE, c=contact)
    assert codes(result) == ["LEGAL_HOLD"]
    assert "open privacy request" in result.errors[0].message


async def test_an_open_portability_request_blocks_deleting_the_contact(steps: Steps) -> None:
    contact = await steps.contact()
    await steps.request(contact, kind="PORTABILITY", verify=False)
    assert codes(await steps.run(DELETE, id=contact)) == ["LEGAL_HOLD"]


async def test_once_the_access_request_completes_the_person_can_be_erased(steps: Steps) -> None:
    contact = await steps.contact()
    request = await steps.request(contact, kind="ACCESS")
    await steps.ok(COMPLETE, Role.OWNER, r=request)
    data = await steps.ok(ERASE, c=contact)
    assert data["eraseContact"]["contact"]["erased"] is True


async def test_the_purge_treats_a_contact_with_an_open_access_request_as_held(
    steps: Steps, services: Services
) -> None:
    contact, other = await steps.contact(), await steps.contact()
    await steps.request(contact, kind="ACCESS")
    async with services.db.session(steps.world.tenant_id) as session:
        holds = await active_holds(session)
    assert holds.covers(contact_id=decode_id(contact)[1])
    assert not holds.covers(contact_id=decode_id(other)[1])


async def test_an_open_erasure_request_protects_nothing(steps: Steps) -> None:
    contact = await steps.contact()
    await steps.request(contact, kind="ERASURE")
    data = await steps.ok(ERASE, c=contact)
    assert data["eraseContact"]["contact"]["erased"] is True


async def test_an_open_restriction_request_blocks_the_persons_erasure(steps: Steps) -> None:
    contact = await steps.contact()
    await steps.request(contact, kind="RESTRICTION")
    assert codes(await steps.run(ERASE, c=contact)) == ["LEGAL_HOLD"]
