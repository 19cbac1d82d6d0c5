"""The purge (issue 11, policy section 5), on SQLite and on PostgreSQL under the
application's role and row-level security: a dry run counts what each rule would
remove per tenant and changes nothing; the real run removes exactly that, records the
run and audits each rule (in the tenant's audit hash chain); a second run finds nothing
(idempotent); a run stopped half way is finished by the next one (resumable); the usage
log's rows younger than the rule's minimum are refused by the database itself."""

from __future__ import annotations

import json
import os
import secrets
import uuid
from typing import Any

import pytest
from sqlalchemy import exc, func, select

from models import (
    Activity,
    AuditEvent,
    Company,
    Contact,
    Deal,
    Invitation,
    PrivacyRequest,
    RetentionRun,
    UsageEvent,
)
from privacy.audit_chain import verify_chain
from privacy.deadlines import Jurisdiction
from privacy.request_rules import Channel, Requester, RequestKind, RequestStatus
from privacy.retention.actions import purge_usage_log
from privacy.retention.trash import trashed
from resolvers.global_ids import decode_id
from resolvers.privacy_requests import new_request
from tests.retention.conftest import World, ago, counts

EXPECTED = {
    "usage log": 2,
    "unverified intake requests": 1,
    "closed privacy requests": 1,
    "ended invitations": 1,
    "trash: activities": 1,
    "trash: won deals (shelled)": 1,
    "trash: deals": 1,
    "trash: contacts (erased)": 1,
    "trash: companies": 1,
    "inactive prospects (erased)": 1,
}


def request(world: World, channel: Channel, days: int, **fields: Any) -> PrivacyRequest:
    return new_request(
        tenant_id=world.world.tenant_id, kind=RequestKind.ACCESS, jurisdiction=Jurisdiction.GDPR,
        requester=Requester.DATA_SUBJECT, channel=channel, received_at=ago(days),
        time_zone="UTC", requester_email_bidx=os.urandom(32), **fields,
    )  # fmt: skip


async def expired_everything(world: World) -> dict[str, str]:
    """One expired row for every rule (and one live row beside most of them)."""
    trash = {
        "company": await world.company(),
        "contact": await world.contact(lastName="Gone"),
        "won": await world.deal(stage="won"),
        "deal": await world.deal(),
        "activity": await world.activity(contact=await world.contact()),
    }
    for gid in trash.values():
        await world.delete(gid)
        await world.age(gid, deleted_at=ago(31))
    await world.delete(await world.contact(lastName="Recently deleted"))
    prospect = await world.contact(lastName="Prospect", lifecycleStage="LEAD")
    await world.age(prospect, updated_at=ago(3 * 365 + 10))
    customer = await world.contact(lastName="Customer", lifecycleStage="CUSTOMER")
    await world.age(customer, updated_at=ago(3 * 365 + 10))
    async with world.services.db.session(world.world.tenant_id) as session:
        tenant = world.world.tenant_id
        for days in (91, 400, 10):
            session.add(UsageEvent(tenant_id=tenant, operation_type="query", outcome="ok",
                                   occurred_at=ago(days)))  # fmt: skip
        session.add(request(world, Channel.WEB_FORM, 31))
        session.add(request(world, Channel.WEB_FORM, 5))
        session.add(request(world, Channel.EMAIL, 800, status=RequestStatus.COMPLETED.value,
                            verification="verified", completed_at=ago(740)))  # fmt: skip
        for expires in (ago(31), ago(-5)):
            session.add(Invitation(tenant_id=tenant, email_enc=b"x", email_bidx=os.urandom(32),
                                   role="sales", token_hash=secrets.token_bytes(32),
                                   expires_at=expires))  # fmt: skip
        await session.commit()
    return trash | {"prospect": prospect, "customer": customer}


async def table_counts(world: World) -> dict[str, int]:
    found = {}
    async with world.services.db.session(world.world.tenant_id) as session:
        for model in (UsageEvent, PrivacyRequest, Invitation, Company, Contact, Deal, Activity):
            stmt = trashed(model).with_only_columns(func.count(model.id))
            found[model.__tablename__] = await session.scalar(stmt)
    return found


async def test_the_dry_run_counts_each_rule_and_changes_nothing(store: World) -> None:
    await expired_everything(store)
    before = await table_counts(store)
    report = await store.purge(dry_run=True)
    assert counts(report, store.world.tenant_id) == EXPECTED
    assert await table_counts(store) == before


async def test_the_run_removes_what_the_dry_run_counted_then_nothing_more(store: World) -> None:
    rows = await expired_everything(store)
    before = await table_counts(store)
    assert counts(await store.purge(), store.world.tenant_id) == EXPECTED
    after = await table_counts(store)
    assert {t: before[t] - after[t] for t in before} == {
        "usage_event": 2, "privacy_request": 2, "invitation": 1, "company": 1, "contact": 0,
        "deal": 1, "activity": 1,
    }  # fmt: skip
    async with store.services.db.session(store.world.tenant_id) as session:
        people = {
            c.last_name: c.erased_at is not None
            for c in (await session.execute(trashed(Contact))).scalars()
        }
        won = (
            await session.execute(trashed(Deal).where(Deal.id == decode_id(rows["won"])[1]))
        ).scalar_one()
    assert people == {None: True, "Recently deleted": False, "Customer": False}
    assert (won.title_enc, str(won.amount), won.purged_at is not None) == (None, "1200.00", True)
    assert counts(await store.purge(), store.world.tenant_id) == {}


async def test_each_run_is_recorded_and_each_rule_audited(store: World) -> None:
    await expired_everything(store)
    report = await store.purge()
    run_id = next(t.run_id for t in report.tenants if t.tenant_id == store.world.tenant_id)
    async with store.services.db.session(store.world.tenant_id) as session:
        run = (await session.execute(select(RetentionRun))).scalar_one()
        audited = (
            (
                await session.execute(
                    select(AuditEvent.detail).where(AuditEvent.action == "retention_purged")
                )
            )
            .scalars()
            .all()
        )
        chain = await verify_chain(
            session, store.services.settings.audit_key, store.world.tenant_id
        )
    assert (run.id, run.dry_run, run.finished_at is not None) == (run_id, False, True)
    assert {k: v for k, v in json.loads(run.counts).items() if v} == EXPECTED
    assert chain.verified, chain
    assert sorted(audited) == sorted(
        f"{label}: {count} rows, run {run_id}" for label, count in EXPECTED.items()
    )


class Interrupted(Exception):
    pass


async def test_a_run_stopped_half_way_is_finished_by_the_next(world: World) -> None:
    for _ in range(3):
        contact = await world.contact()
        await world.delete(contact)
        await world.age(contact, deleted_at=ago(31))
    seen: list[int] = []

    def crash_after_the_first_batch(slug: str, label: str, rows: int) -> None:
        seen.append(rows)
        raise Interrupted

    with pytest.raises(Interrupted):
        await world.purge(progress=crash_after_the_first_batch, batch=1)
    async with world.services.db.session(world.world.tenant_id) as session:
        run = (await session.execute(select(RetentionRun))).scalar_one()
    assert run.finished_at is None  # the record shows the run did not finish
    assert counts(await world.purge(), world.world.tenant_id) == {"trash: contacts (erased)": 2}
    assert seen == [1]


async def test_the_database_refuses_to_purge_usage_rows_younger_than_the_minimum(
    store: World,
) -> None:
    async with store.services.db.session(store.world.tenant_id) as session:
        session.add(UsageEvent(tenant_id=store.world.tenant_id, operation_type="query",
                               outcome="ok", occurred_at=ago(20)))  # fmt: skip
        await session.commit()
    async with store.services.db.session(store.world.tenant_id) as session:
        with pytest.raises(exc.DBAPIError):
            await purge_usage_log(session, ago(10), 10)
        await session.rollback()


async def test_the_purge_of_one_tenant_leaves_the_others(world: World, tenant_b: Any) -> None:
    contact = await world.contact()
    await world.delete(contact)
    await world.age(contact, deleted_at=ago(31))
    report = await world.purge(tenant_slug="no-such-tenant")
    assert report.tenants == []
    report = await world.purge()
    assert counts(report, tenant_b.tenant_id) == {}
    assert counts(report, world.world.tenant_id) == {"trash: contacts (erased)": 1}
    assert uuid.UUID(str(world.world.tenant_id))


async def test_a_minor_in_the_trash_is_still_erased_seven_days_after_the_flag(
    world: World,
) -> None:
    """Section 10's deadline runs in the trash too (privacy/minors.py, a step of the purge)."""
    contact = await world.contact(lastName="Young")
    await world.delete(contact)
    await world.age(contact, minor_flagged_at=ago(8))
    assert counts(await world.purge(), world.world.tenant_id) == {"minors (erased)": 1}
    async with world.services.db.session(world.world.tenant_id) as session:
        stmt = trashed(Contact).where(Contact.id == decode_id(contact)[1])
        person = (await session.execute(stmt)).scalar_one()
    assert (person.erased_at is not None, person.last_name) == (True, None)
