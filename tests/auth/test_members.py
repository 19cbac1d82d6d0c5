"""Member management: who may invite, change roles and remove, and what stays unchanged
when they may not (policy sections 2.1 and 4)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, text

from auth.permissions import Role
from auth.sessions import AuthenticationError, open_session, principal_from_cookie
from models import Activity, Company, Contact, Deal, Invitation, Membership
from resolvers.global_ids import encode_id

ALLOWED = (Role.OWNER, Role.ADMIN)
REFUSED = (Role.SALES, Role.MARKETING, Role.SUPPORT, Role.READ_ONLY)

MEMBERS = "{ members { id displayName email role } }"
INVITE = """
mutation($email: String!, $role: Role!, $name: String) {
  inviteMember(email: $email, role: $role, displayName: $name) {
    invitation { id displayName email role status }
  }
}
"""
CHANGE = """
mutation($member: ID!, $role: Role!) {
  changeRole(member: $member, role: $role) { member { role } }
}
"""
REMOVE = "mutation($member: ID!) { removeMember(member: $member) { deletedId } }"


def member_id(user_id: uuid.UUID) -> str:
    return encode_id("Member", user_id)


async def roles(services, tenant_id) -> dict[uuid.UUID, str]:
    async with services.db.session(tenant_id) as session:
        rows = await session.execute(select(Membership.user_id, Membership.role))
        return dict(rows.all())


async def invitation_count(services, tenant_id) -> int:
    async with services.db.session(tenant_id) as session:
        return len((await session.execute(select(Invitation.id))).all())


async def user_count(services) -> int:
    async with services.db.session(None) as session:
        session.info["allow_text_sql"] = True
        return (await session.execute(text("SELECT count(*) FROM app_user"))).scalar_one()


def code(result) -> str:
    return result.errors[0].extensions["code"]


# --- members list ------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
async def test_every_role_lists_the_members_of_its_tenant(runner, tenant_a, tenant_b, role):
    result = await runner(tenant_a.principal(role), MEMBERS)
    assert result.errors is None, result.errors
    ids = {m["id"] for m in result.data["members"]}
    assert ids == {member_id(u) for u in tenant_a.users.values()}


async def test_members_list_needs_a_signed_in_caller(runner):
    result = await runner(None, MEMBERS)
    assert code(result) == "UNAUTHENTICATED"


# --- invite ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALLOWED, ids=[r.value for r in ALLOWED])
async def test_owner_and_admin_invite_a_new_person(runner, services, tenant_a, role):
    """An invitation, not yet a member: the person joins when they accept it
    (tests/security/test_invitations.py)."""
    before = await roles(services, tenant_a.tenant_id)
    result = await runner(
        tenant_a.principal(role),
        INVITE,
        {"email": "new.person@example.com", "role": "SALES", "name": "New Person"},
    )
    assert result.errors is None, result.errors
    invitation = result.data["inviteMember"]["invitation"]
    assert invitation["displayName"] == "New Person"
    assert invitation["email"] == "new.person@example.com"
    assert invitation["role"] == "SALES"
    assert invitation["status"] == "PENDING"
    assert await roles(services, tenant_a.tenant_id) == before
    assert await invitation_count(services, tenant_a.tenant_id) == 1


@pytest.mark.parametrize("role", REFUSED, ids=[r.value for r in REFUSED])
async def test_other_roles_may_not_invite_and_nothing_is_written(runner, services, tenant_a, role):
    before_roles, before_users = (
        await roles(services, tenant_a.tenant_id),
        await user_count(services),
    )
    result = await runner(
        tenant_a.principal(role), INVITE, {"email": "new.person@example.com", "role": "SALES"}
    )
    assert code(result) == "FORBIDDEN"
    assert result.data is None
    assert await roles(services, tenant_a.tenant_id) == before_roles
    assert await user_count(services) == before_users
    assert await invitation_count(services, tenant_a.tenant_id) == 0


async def test_inviting_an_existing_account_adds_nobody_until_they_accept(
    runner, services, tenant_a, tenant_b
):
    outsider = (await runner(tenant_b.principal(Role.SALES), "{ me { email } }")).data["me"]
    before_users = await user_count(services)
    result = await runner(
        tenant_a.principal(Role.ADMIN), INVITE, {"email": outsider["email"], "role": "SUPPORT"}
    )
    assert result.errors is None, result.errors
    assert result.data["inviteMember"]["invitation"]["status"] == "PENDING"
    assert await user_count(services) == before_users
    assert tenant_b.users[Role.SALES] not in await roles(services, tenant_a.tenant_id)


async def test_inviting_a_current_member_is_a_conflict(runner, services, tenant_a):
    email = (await runner(tenant_a.principal(Role.SALES), "{ me { email } }")).data["me"]["email"]
    before = await roles(services, tenant_a.tenant_id)
    result = await runner(tenant_a.principal(Role.OWNER), INVITE, {"email": email, "role": "ADMIN"})
    assert code(result) == "CONFLICT"
    assert await roles(services, tenant_a.tenant_id) == before


async def test_invite_with_an_invalid_email_is_refused(runner, services, tenant_a):
    before = await user_count(services)
    result = await runner(tenant_a.principal(Role.OWNER), INVITE, {"email": "x", "role": "SALES"})
    assert code(result) == "BAD_USER_INPUT"
    assert await user_count(services) == before


async def test_admin_may_not_invite_an_owner(runner, services, tenant_a):
    before_roles, before_users = (
        await roles(services, tenant_a.tenant_id),
        await user_count(services),
    )
    result = await runner(
        tenant_a.principal(Role.ADMIN), INVITE, {"email": "boss@example.com", "role": "OWNER"}
    )
    assert code(result) == "FORBIDDEN"
    assert await roles(services, tenant_a.tenant_id) == before_roles
    assert await user_count(services) == before_users
    assert await invitation_count(services, tenant_a.tenant_id) == 0


async def test_owner_may_invite_an_owner(runner, tenant_a):
    result = await runner(
        tenant_a.principal(Role.OWNER), INVITE, {"email": "boss@example.com", "role": "OWNER"}
    )
    assert result.data["inviteMember"]["invitation"]["role"] == "OWNER"


# --- change role -------------------------------------------------------------------


@pytest.mark.parametrize("role", ALLOWED, ids=[r.value for r in ALLOWED])
async def test_owner_and_admin_change_a_role(runner, services, tenant_a, role):
    target = tenant_a.users[Role.SALES]
    result = await runner(
        tenant_a.principal(role), CHANGE, {"member": member_id(target), "role": "SUPPORT"}
    )
    assert result.data == {"changeRole": {"member": {"role": "SUPPORT"}}}
    assert (await roles(services, tenant_a.tenant_id))[target] == "support"


@pytest.mark.parametrize("role", REFUSED, ids=[r.value for r in REFUSED])
async def test_other_roles_may_not_change_roles_and_nothing_changes(
    runner, services, tenant_a, role
):
    before = await roles(services, tenant_a.tenant_id)
    target = tenant_a.users[Role.READ_ONLY]
    result = await runner(
        tenant_a.principal(role), CHANGE, {"member": member_id(target), "role": "ADMIN"}
    )
    assert code(result) == "FORBIDDEN"
    assert await roles(services, tenant_a.tenant_id) == before


async def test_admin_may_not_grant_the_owner_role(runner, services, tenant_a):
    before = await roles(services, tenant_a.tenant_id)
    target = member_id(tenant_a.users[Role.SALES])
    result = await runner(
        tenant_a.principal(Role.ADMIN), CHANGE, {"member": target, "role": "OWNER"}
    )
    assert code(result) == "FORBIDDEN"
    assert await roles(services, tenant_a.tenant_id) == before


async def test_admin_may_not_demote_an_owner(runner, services, tenant_a):
    before = await roles(services, tenant_a.tenant_id)
    target = member_id(tenant_a.users[Role.OWNER])
    result = await runner(
        tenant_a.principal(Role.ADMIN), CHANGE, {"member": target, "role": "SALES"}
    )
    assert code(result) == "FORBIDDEN"
    assert await roles(services, tenant_a.tenant_id) == before


async def test_owner_may_grant_the_owner_role(runner, services, tenant_a):
    target = tenant_a.users[Role.ADMIN]
    result = await runner(
        tenant_a.principal(Role.OWNER), CHANGE, {"member": member_id(target), "role": "OWNER"}
    )
    assert result.errors is None, result.errors
    assert (await roles(services, tenant_a.tenant_id))[target] == "owner"


async def test_the_last_owner_cannot_be_demoted(runner, services, tenant_a):
    before = await roles(services, tenant_a.tenant_id)
    owner = tenant_a.users[Role.OWNER]
    result = await runner(
        tenant_a.principal(Role.OWNER), CHANGE, {"member": member_id(owner), "role": "ADMIN"}
    )
    assert code(result) == "LAST_OWNER"
    assert await roles(services, tenant_a.tenant_id) == before


async def test_an_owner_may_step_down_when_another_owner_remains(runner, services, tenant_a):
    owner = tenant_a.principal(Role.OWNER)
    second = member_id(tenant_a.users[Role.ADMIN])
    await runner(owner, CHANGE, {"member": second, "role": "OWNER"})
    result = await runner(
        owner, CHANGE, {"member": member_id(tenant_a.users[Role.OWNER]), "role": "ADMIN"}
    )
    assert result.errors is None, result.errors
    assert (await roles(services, tenant_a.tenant_id))[tenant_a.users[Role.OWNER]] == "admin"


async def test_changing_a_member_of_another_tenant_is_not_found_like_a_missing_one(
    runner, services, tenant_a, tenant_b
):
    before = await roles(services, tenant_b.tenant_id)
    owner = tenant_a.principal(Role.OWNER)
    foreign = await runner(
        owner, CHANGE, {"member": member_id(tenant_b.users[Role.SALES]), "role": "ADMIN"}
    )
    missing = await runner(owner, CHANGE, {"member": member_id(uuid.uuid4()), "role": "ADMIN"})
    assert foreign.errors[0].formatted == missing.errors[0].formatted
    assert code(foreign) == "NOT_FOUND"
    assert await roles(services, tenant_b.tenant_id) == before


# --- remove ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALLOWED, ids=[r.value for r in ALLOWED])
async def test_owner_and_admin_remove_a_member(runner, services, tenant_a, role):
    target = tenant_a.users[Role.MARKETING]
    result = await runner(tenant_a.principal(role), REMOVE, {"member": member_id(target)})
    assert result.data == {"removeMember": {"deletedId": member_id(target)}}
    assert target not in await roles(services, tenant_a.tenant_id)


@pytest.mark.parametrize("role", REFUSED, ids=[r.value for r in REFUSED])
async def test_other_roles_may_not_remove_members_and_nothing_changes(
    runner, services, tenant_a, role
):
    before = await roles(services, tenant_a.tenant_id)
    target = tenant_a.users[Role.READ_ONLY if role is not Role.READ_ONLY else Role.SALES]
    result = await runner(tenant_a.principal(role), REMOVE, {"member": member_id(target)})
    assert code(result) == "FORBIDDEN"
    assert await roles(services, tenant_a.tenant_id) == before


async def test_the_last_owner_cannot_be_removed(runner, services, tenant_a):
    before = await roles(services, tenant_a.tenant_id)
    owner = tenant_a.users[Role.OWNER]
    result = await runner(tenant_a.principal(Role.OWNER), REMOVE, {"member": member_id(owner)})
    assert code(result) == "LAST_OWNER"
    assert await roles(services, tenant_a.tenant_id) == before


async def test_admin_may_not_remove_an_owner(runner, services, tenant_a):
    before = await roles(services, tenant_a.tenant_id)
    owner = tenant_a.users[Role.OWNER]
    result = await runner(tenant_a.principal(Role.ADMIN), REMOVE, {"member": member_id(owner)})
    assert code(result) == "FORBIDDEN"
    assert await roles(services, tenant_a.tenant_id) == before


async def test_removing_a_member_of_another_tenant_is_not_found(
    runner, services, tenant_a, tenant_b
):
    before = await roles(services, tenant_b.tenant_id)
    target = member_id(tenant_b.users[Role.SALES])
    result = await runner(tenant_a.principal(Role.OWNER), REMOVE, {"member": target})
    assert code(result) == "NOT_FOUND"
    assert await roles(services, tenant_b.tenant_id) == before


async def test_removing_a_member_keeps_their_records_without_owner_or_author(
    runner, services, tenant_a
):
    sales = tenant_a.users[Role.SALES]
    async with services.db.session(tenant_a.tenant_id) as session:
        cipher = await services.keyring.cipher(session, tenant_a.tenant_id)
        contact = Contact(first_name="Ada", owner_id=sales)
        company = Company(name="Analytical", owner_id=sales)
        deal = Deal(title_enc=cipher.encrypt("Engine"), owner_id=sales)
        session.add_all([contact, company, deal])
        await session.flush()
        activity = Activity(
            kind="note", subject_enc=cipher.encrypt("Met"), contact_id=contact.id, author_id=sales
        )
        session.add(activity)
        await session.commit()
    result = await runner(tenant_a.principal(Role.OWNER), REMOVE, {"member": member_id(sales)})
    assert result.errors is None, result.errors
    async with services.db.session(tenant_a.tenant_id) as session:
        assert (await session.get(Contact, contact.id)).owner_id is None
        assert (await session.get(Company, company.id)).owner_id is None
        assert (await session.get(Deal, deal.id)).owner_id is None
        assert (await session.get(Activity, activity.id)).author_id is None


async def test_a_removed_member_is_signed_out_of_that_tenant(runner, services, tenant_a):
    sales = tenant_a.users[Role.SALES]
    cookie = await open_session(services, sales, tenant_a.tenant_id, "cookie")
    await runner(tenant_a.principal(Role.OWNER), REMOVE, {"member": member_id(sales)})
    with pytest.raises(AuthenticationError):
        await principal_from_cookie(services, cookie.secret)
