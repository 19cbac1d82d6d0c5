"""Minors (policy section 10, privacy/minors.py): a contact under 18 is flagged when
written or reported, their data erased within the deadline by the purge or at once by
an admin, every step audited without personal data; a member reported as under 18
cannot sign in or use a token until the report is resolved."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from auth.accounts import add_membership, create_user
from auth.permissions import Role
from auth.sessions import (
    AuthenticationError,
    BearerClaims,
    CookieCredential,
    open_session,
    principal_for_claims,
    verify_bearer,
)
from auth.sign_in import log_in
from core.context import RequestContext
from core.errors import AppError
from core.services import Services
from models import AuditEvent, Contact, LegalHold
from models.base import utcnow
from privacy.audit import AuditBuffer
from privacy.minors import DELETION_DEADLINE, purge_flagged_minors
from resolvers.global_ids import decode_id, encode_id
from server.execution import execute_operation
from tests.support.world import PASSWORD, Runner, TenantWorld, access_token, make_tenant

CREATE = """mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } } }"""
UPDATE = """mutation($id: ID!, $i: UpdateContactInput!) { updateContact(id: $id, input: $i) {
  contact { id } } }"""
REPORT = "mutation($c: ID!) { reportMinor(contact: $c) { contact { id } } }"
DELETE_NOW = "mutation($c: ID!) { deleteMinorData(contact: $c) { contact { id erased } } }"
REPORT_MEMBER = "mutation($u: ID!) { reportMinorAccount(user: $u) { member { id } } }"
RESOLVE = "mutation($u: ID!) { resolveMinorReport(user: $u) { member { id } } }"

TODAY = date.today()
MINOR = TODAY - timedelta(days=15 * 365)
ADULT = date(1980, 5, 17)


async def ok(runner: Runner, world: TenantWorld, role: Role, query: str, **variables: Any) -> Any:
    result = await runner(world.principal(role), query, variables)
    assert result.errors is None, result.errors
    return result.data


async def new_contact(runner: Runner, world: TenantWorld, born: date | None = None) -> str:
    fields: dict[str, Any] = {"firstName": "Sam", "email": "sam@example.com"}
    if born is not None:
        fields["dateOfBirth"] = born.isoformat()
    data = await ok(runner, world, Role.OWNER, CREATE, i=fields)
    return str(data["createContact"]["contact"]["id"])


async def contact_row(services: Services, world: TenantWorld, gid: str) -> Contact:
    _, contact_id = decode_id(gid, "Contact")
    async with services.db.session(world.tenant_id) as session:
        return (
            await session.execute(select(Contact).where(col(Contact.id) == contact_id))
        ).scalar_one()


async def actions(services: Services, world: TenantWorld) -> list[tuple[str, str]]:
    async with services.db.session(world.tenant_id) as session:
        rows = await session.execute(
            select(col(AuditEvent.action), col(AuditEvent.detail)).order_by(
                col(AuditEvent.chain_seq)
            )
        )
        return [(a, d or "") for a, d in rows]


async def backdate(services: Services, world: TenantWorld, gid: str, days: int) -> None:
    _, contact_id = decode_id(gid, "Contact")
    async with services.db.session(world.tenant_id) as session:
        await session.execute(
            update(Contact)
            .where(col(Contact.id) == contact_id)
            .values(minor_flagged_at=utcnow() - timedelta(days=days))
        )
        await session.commit()


async def signed_in(services: Services, world: TenantWorld, role: Role) -> BearerClaims:
    """The verified bearer claims of a real sign-in of the member of `role`."""
    token = await access_token(services, world.tenant_id, world.users[role], role)
    return verify_bearer(services, token)


async def purge(services: Services, world: TenantWorld, *, dry_run: bool) -> int:
    async with services.db.session(world.tenant_id) as session:
        cipher = await services.keyring.cipher(session, world.tenant_id)
        buffer = AuditBuffer()
        count = await purge_flagged_minors(
            session, now=utcnow(), dry_run=dry_run, cipher=cipher, audit=buffer
        )
        await buffer.flush_public(
            session, world.tenant_id, actor_type="system", chain_key=services.settings.audit_key
        )
        await session.commit()
        return count


# --- flagging ------------------------------------------------------------------------


async def test_a_date_of_birth_under_18_flags_the_contact_when_created(
    runner: Runner, services: Services, tenant_a: TenantWorld
) -> None:
    gid = await new_contact(runner, tenant_a, MINOR)
    assert (await contact_row(services, tenant_a, gid)).minor_flagged_at is not None


async def test_an_adults_date_of_birth_flags_nothing(
    runner: Runner, services: Services, tenant_a: TenantWorld
) -> None:
    gid = await new_contact(runner, tenant_a, ADULT)
    assert (await contact_row(services, tenant_a, gid)).minor_flagged_at is None


async def test_an_update_to_a_minors_date_of_birth_flags_and_the_first_flag_time_stays(
    runner: Runner, services: Services, tenant_a: TenantWorld
) -> None:
    gid = await new_contact(runner, tenant_a, ADULT)
    await ok(runner, tenant_a, Role.OWNER, UPDATE, id=gid, i={"dateOfBirth": MINOR.isoformat()})
    first = (await contact_row(services, tenant_a, gid)).minor_flagged_at
    assert first is not None
    await ok(runner, tenant_a, Role.OWNER, UPDATE, id=gid, i={"dateOfBirth": MINOR.isoformat()})
    assert (await contact_row(services, tenant_a, gid)).minor_flagged_at == first


async def test_any_member_may_report_a_contact_as_a_minor(
    runner: Runner, services: Services, tenant_a: TenantWorld
) -> None:
    gid = await new_contact(runner, tenant_a)
    await ok(runner, tenant_a, Role.READ_ONLY, REPORT, c=gid)
    assert (await contact_row(services, tenant_a, gid)).minor_flagged_at is not None


async def test_reporting_another_tenants_contact_is_not_found_like_a_missing_one(
    runner: Runner, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    gid = await new_contact(runner, tenant_a)
    foreign = await runner(tenant_b.principal(Role.OWNER), REPORT, {"c": gid})
    missing = await runner(
        tenant_b.principal(Role.OWNER), REPORT, {"c": encode_id("Contact", uuid.uuid4())}
    )
    assert [e.formatted for e in foreign.errors] == [e.formatted for e in missing.errors]


# --- deletion --------------------------------------------------------------------------


async def test_the_purge_erases_only_contacts_flagged_longer_than_the_deadline(
    runner: Runner, services: Services, tenant_a: TenantWorld
) -> None:
    due, recent = await new_contact(runner, tenant_a, MINOR), await new_contact(runner, tenant_a)
    await ok(runner, tenant_a, Role.OWNER, REPORT, c=recent)
    await backdate(services, tenant_a, due, DELETION_DEADLINE.days + 1)
    assert await purge(services, tenant_a, dry_run=True) == 1
    assert (await contact_row(services, tenant_a, due)).erased_at is None  # a dry run
    assert await purge(services, tenant_a, dry_run=False) == 1
    erased = await contact_row(services, tenant_a, due)
    assert erased.erased_at is not None
    assert (erased.first_name, erased.date_of_birth_enc) == (None, None)
    assert (await contact_row(services, tenant_a, recent)).erased_at is None
    assert await purge(services, tenant_a, dry_run=False) == 0  # idempotent


async def test_the_purge_skips_a_minor_under_a_legal_hold(
    runner: Runner, services: Services, tenant_a: TenantWorld
) -> None:
    gid = await new_contact(runner, tenant_a, MINOR)
    await backdate(services, tenant_a, gid, DELETION_DEADLINE.days + 1)
    async with services.db.session(tenant_a.tenant_id) as session:
        _, contact_id = decode_id(gid, "Contact")
        session.add(LegalHold(tenant_id=tenant_a.tenant_id, contact_id=contact_id, reason="case"))
        await session.commit()
    assert await purge(services, tenant_a, dry_run=False) == 0
    assert (await contact_row(services, tenant_a, gid)).erased_at is None


async def test_an_admin_deletes_a_minors_data_at_once(
    runner: Runner, services: Services, tenant_a: TenantWorld
) -> None:
    gid = await new_contact(runner, tenant_a)
    data = await ok(runner, tenant_a, Role.ADMIN, DELETE_NOW, c=gid)
    assert data["deleteMinorData"]["contact"]["erased"] is True
    row = await contact_row(services, tenant_a, gid)
    assert row.minor_flagged_at is not None and row.first_name is None


async def test_a_sales_member_may_not_delete_a_minors_data(
    runner: Runner, services: Services, tenant_a: TenantWorld
) -> None:
    gid = await new_contact(runner, tenant_a)
    result = await runner(tenant_a.principal(Role.SALES), DELETE_NOW, {"c": gid})
    assert result.errors[0].extensions["code"] == "FORBIDDEN"
    row = await contact_row(services, tenant_a, gid)
    assert (row.erased_at, row.minor_flagged_at, row.first_name) == (None, None, "Sam")


async def test_the_report_and_the_deletion_are_audited_with_ids_only(
    runner: Runner, services: Services, tenant_a: TenantWorld
) -> None:
    gid = await new_contact(runner, tenant_a, MINOR)
    await ok(runner, tenant_a, Role.SUPPORT, REPORT, c=gid)
    await ok(runner, tenant_a, Role.ADMIN, DELETE_NOW, c=gid)
    _, contact_id = decode_id(gid, "Contact")
    logged = await actions(services, tenant_a)
    minor = [(a, d) for a, d in logged if a.startswith("minor_")]
    assert [a for a, _ in minor] == ["minor_flagged", "minor_flagged", "minor_data_deleted"]
    assert minor[0][1] == f"contact {contact_id} source date_of_birth"
    assert minor[1][1] == f"contact {contact_id} source report"
    assert minor[2][1].startswith(f"contact {contact_id} erasure ")
    assert not [d for _, d in logged if "Sam" in d or "sam@" in d or MINOR.isoformat() in d]


# --- account holders -------------------------------------------------------------------


async def member_with_email(services: Services, world: TenantWorld, email: str) -> uuid.UUID:
    async with services.db.session(world.tenant_id) as session:
        user = await create_user(services, session, email, "Kid", PASSWORD, 1990)
        await add_membership(session, world.tenant_id, user.id, Role.SALES)
        await session.commit()
        return user.id


async def test_a_member_reported_as_a_minor_cannot_sign_in_until_resolved(
    runner: Runner, services: Services, tenant_a: TenantWorld
) -> None:
    user_id = await member_with_email(services, tenant_a, "kid@example.com")
    member = encode_id("Member", user_id)
    await ok(runner, tenant_a, Role.ADMIN, REPORT_MEMBER, u=member)
    with pytest.raises(AppError) as refused:
        await log_in(services, email="kid@example.com", password=PASSWORD, client_ip=None,
                     tenant=tenant_a.tenant_id, cookie=False)  # fmt: skip
    assert refused.value.extensions["code"] == "ACCOUNT_SUSPENDED"
    await ok(runner, tenant_a, Role.ADMIN, RESOLVE, u=member)
    signed = await log_in(services, email="kid@example.com", password=PASSWORD, client_ip=None,
                          tenant=tenant_a.tenant_id, cookie=False)  # fmt: skip
    assert signed.principal.user_id == user_id


async def test_a_reported_members_token_is_refused(store: Services) -> None:
    world = await make_tenant(store, f"Minors {uuid.uuid4().hex[:6]}")
    runner = Runner(store)
    claims = await signed_in(store, world, Role.SALES)
    member = encode_id("Member", world.users[Role.SALES])
    await ok(runner, world, Role.OWNER, REPORT_MEMBER, u=member)
    ctx = RequestContext(services=store, principal=None, credential=claims)
    with pytest.raises(AuthenticationError):
        await execute_operation(runner.schema, ctx, "{ me { id } }")


async def test_a_reported_members_session_cookie_signs_nobody_in(store: Services) -> None:
    world = await make_tenant(store, f"Minors {uuid.uuid4().hex[:6]}")
    runner = Runner(store)
    user_id = world.users[Role.SALES]
    cookie = await open_session(store, user_id, world.tenant_id, "cookie")
    await ok(runner, world, Role.OWNER, REPORT_MEMBER, u=encode_id("Member", user_id))
    ctx = RequestContext(services=store, principal=None, credential=CookieCredential(cookie.secret))
    result = await execute_operation(runner.schema, ctx, "{ me { id } }")
    assert result.errors[0].extensions["code"] == "UNAUTHENTICATED"


async def test_a_sales_member_may_not_report_an_account(
    runner: Runner, services: Services, tenant_a: TenantWorld
) -> None:
    member = encode_id("Member", tenant_a.users[Role.SUPPORT])
    result = await runner(tenant_a.principal(Role.SALES), REPORT_MEMBER, {"u": member})
    assert result.errors[0].extensions["code"] == "FORBIDDEN"
    claims = await signed_in(services, tenant_a, Role.SUPPORT)
    async with services.db.session(tenant_a.tenant_id, user_id=claims.user_id) as session:
        assert (await principal_for_claims(session, claims)).role is Role.SUPPORT
