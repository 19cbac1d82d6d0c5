"""The suppression list (policy section 9; issue 10): an erased person's email address
and phone number, kept only as a tenant-keyed hash, refuse their re-creation with
SUPPRESSED until a privacy admin lifts it on the person's own new request; another
tenant is never affected (no existence oracle across tenants)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from core.services import Services
from models import Suppression
from models.base import utcnow
from privacy.retention.purge import purge
from tests.erasure.conftest import CREATE, DELETE, ERASE, Steps, codes
from tests.support.world import Runner, TenantWorld

LIFT = "mutation($r: ID!) { liftSuppression(request: $r) { contact entries } }"
UPDATE = "mutation($id: ID!, $input: UpdateContactInput!) { updateContact(id: $id, input: $input) { contact { id } } }"  # noqa: E501
EMAIL = "erased.person@example.com"
PHONE = "+442071838750"


async def erased(steps: Steps, **fields: Any) -> str:
    contact = await steps.contact(email=EMAIL, phone=PHONE, **fields)
    await steps.ok(ERASE, c=contact)
    return contact


async def test_creating_an_erased_persons_email_again_is_suppressed(steps: Steps) -> None:
    await erased(steps)
    result = await steps.run(CREATE, input={"firstName": "Again", "email": EMAIL.upper()})
    assert codes(result) == ["SUPPRESSED"]


async def test_creating_an_erased_persons_phone_again_is_suppressed(steps: Steps) -> None:
    await erased(steps)
    result = await steps.run(CREATE, input={"firstName": "Again", "phone": PHONE})
    assert codes(result) == ["SUPPRESSED"]


async def test_giving_another_contact_the_erased_email_is_suppressed(steps: Steps) -> None:
    await erased(steps)
    other = await steps.contact()
    assert codes(await steps.run(UPDATE, id=other, input={"email": EMAIL})) == ["SUPPRESSED"]


async def test_a_deleted_contact_is_suppressed_once_the_purge_erases_it(
    steps: Steps, services: Services
) -> None:
    """deleteContact moves the contact to the trash (issue 11, restorable meanwhile); the
    purge erases it when the trash period ends, as every erasure: suppressed too."""
    contact = await steps.contact(email=EMAIL)
    await steps.ok(DELETE, id=contact)
    await purge(services, dry_run=False, trigger="cli", now=utcnow() + timedelta(days=31))
    assert codes(await steps.run(CREATE, input={"email": EMAIL})) == ["SUPPRESSED"]


async def test_the_suppression_list_keeps_no_address(steps: Steps, services: Services) -> None:
    await erased(steps)
    async with services.db.session(steps.world.tenant_id) as session:
        rows = (await session.execute(select(Suppression))).scalars().all()
    assert sorted(r.kind for r in rows) == ["email", "phone"]
    assert not any(EMAIL.encode() in r.key_bidx or PHONE.encode() in r.key_bidx for r in rows)


async def test_another_tenant_may_create_the_same_person(
    steps: Steps, runner: Runner, tenant_b: TenantWorld
) -> None:
    await erased(steps)
    theirs = Steps(runner, tenant_b)
    await theirs.ok(CREATE, input={"email": EMAIL, "phone": PHONE})


async def test_the_persons_own_new_request_lifts_the_suppression(steps: Steps) -> None:
    contact = await erased(steps)
    request = await steps.request(contact, kind="CONSENT_WITHDRAWAL")
    lifted = (await steps.ok(LIFT, r=request))["liftSuppression"]
    assert lifted == {"contact": contact, "entries": 2}
    await steps.ok(CREATE, input={"email": EMAIL, "phone": PHONE})


async def test_an_unverified_request_does_not_lift_the_suppression(steps: Steps) -> None:
    contact = await erased(steps)
    request = await steps.request(contact, kind="ACCESS", verify=False)
    assert codes(await steps.run(LIFT, r=request)) == ["IDENTITY_NOT_VERIFIED"]
    assert codes(await steps.run(CREATE, input={"email": EMAIL})) == ["SUPPRESSED"]


async def test_the_erasure_request_itself_does_not_lift_the_suppression(steps: Steps) -> None:
    contact = await steps.contact(email=EMAIL)
    request = await steps.request(contact)
    await steps.ok("mutation($r: ID!) { eraseForPrivacyRequest(request: $r) { id } }", r=request)
    assert codes(await steps.run(LIFT, r=request)) == ["NOT_FOUND"]


async def test_another_persons_request_does_not_lift_the_suppression(steps: Steps) -> None:
    await erased(steps)
    someone = await steps.contact(email="someone.else@example.com")
    request = await steps.request(someone, kind="ACCESS")
    assert codes(await steps.run(LIFT, r=request)) == ["NOT_FOUND"]


async def test_a_verified_intake_request_from_the_suppressed_address_lifts_it(
    steps: Steps, services: Services
) -> None:
    from models.base import utcnow
    from privacy.deadlines import Jurisdiction
    from privacy.request_rules import Channel, Requester, RequestKind
    from resolvers.global_ids import encode_id
    from resolvers.privacy_requests import new_request

    await erased(steps)
    tenant = steps.world.tenant_id
    async with services.db.session(tenant) as session:
        cipher = await services.keyring.cipher(session, tenant)
        intake = new_request(
            tenant_id=tenant, kind=RequestKind.ACCESS, jurisdiction=Jurisdiction.GDPR,
            requester=Requester.DATA_SUBJECT, channel=Channel.WEB_FORM, received_at=utcnow(),
            time_zone="UTC", requester_email_bidx=cipher.blind_index(EMAIL),
            verification="verified",
        )  # fmt: skip
        session.add(intake)
        await session.commit()
    lifted = await steps.ok(LIFT, r=encode_id("PrivacyRequest", intake.id))
    assert lifted["liftSuppression"]["entries"] == 2
    await steps.ok(CREATE, input={"email": EMAIL})
