"""Scopes are purposes (issue 12): an app acts with the intersection of its scopes and
its user's role, under a purpose both allow; consent redaction applies to it exactly
as to its user under that purpose; audit entries name it."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from auth.accounts import find_user_id_by_email
from auth.permissions import Permission, Role, grant_for
from auth.principal import Principal, PurposeNotAllowed
from auth.scopes import SCOPE_GRANTS, Scope, categories_of, permissions_of, reach
from models.audit import AuditEvent
from privacy.categories import DataCategory
from privacy.purposes import Purpose
from tests.oauth.conftest import (
    Partner,
    as_token,
    authorized_client,
    gql,
    session_token,
)

EMAILS = "{ contacts(first: 30) { nodes { id firstName email } } }"


def app_principal(role: Role, *scopes: Scope, purpose: Purpose | None = None) -> Principal:
    return Principal.for_app(
        uuid.uuid4(), uuid.uuid4(), role, scopes, client_id="ll_x",
        installation_id=uuid.uuid4(), grant_id=uuid.uuid4(), purpose=purpose,
    )  # fmt: skip


def test_an_app_never_exceeds_its_scopes():
    principal = app_principal(Role.OWNER, Scope.CONTACTS_READ)
    assert principal.permissions == SCOPE_GRANTS[Scope.CONTACTS_READ].permissions
    assert not principal.has(Permission.APPS_MANAGE)


def test_an_app_never_exceeds_its_users_role():
    scopes = (Scope.CONTACTS_READ, Scope.ACTIVITIES_READ)
    principal = app_principal(Role.SUPPORT, *scopes)
    assert principal.permissions == grant_for(Role.SUPPORT).permissions & permissions_of(scopes)
    assert principal.purposes == (Purpose.SUPPORT,)
    assert not principal.has(Permission.CONTACTS_READ_PII)


def test_an_app_acts_under_a_purpose_of_its_scopes_its_role_allows():
    assert app_principal(Role.MARKETING, Scope.MARKETING_READ).purposes == (Purpose.MARKETING,)
    with pytest.raises(PurposeNotAllowed):
        app_principal(Role.ADMIN, Scope.MARKETING_READ)
    with pytest.raises(PurposeNotAllowed):
        app_principal(Role.SALES, Scope.CONTACTS_READ, purpose=Purpose.MARKETING)


def test_the_consent_page_reach_comes_from_the_scope_table_and_the_data_map():
    assert DataCategory.NOTES not in categories_of([Scope.MARKETING_READ])
    assert DataCategory.EMAIL in categories_of([Scope.MARKETING_READ])
    assert reach([Scope.MARKETING_READ]).purposes == ("Direct marketing to the person",)


async def test_a_marketing_app_sees_exactly_what_its_marketing_user_sees(partner: Partner):
    registered = await partner.register(scopes=("marketing:read",))
    client = await authorized_client(partner, registered, Role.MARKETING, "marketing:read")
    app = (await gql(client, EMAILS)).json()
    own = (await as_token(partner, await session_token(partner, Role.MARKETING), EMAILS)).json()
    assert app == own
    withdrawn = [
        r for r in app["extensions"]["redactions"]
        if r["category"] == "EMAIL" and r["reason"] == "CONSENT_WITHDRAWN"
    ]  # fmt: skip
    assert withdrawn, app["extensions"]["redactions"]
    index = withdrawn[0]["path"][2]
    assert app["data"]["contacts"]["nodes"][index]["email"] is None


async def test_a_sales_app_sees_the_email_the_marketing_app_may_not(partner: Partner):
    marketing = await authorized_client(
        partner, await partner.register(scopes=("marketing:read",)), Role.MARKETING,
        "marketing:read",
    )  # fmt: skip
    sales = await authorized_client(partner, await partner.register(name="CRM sync"))
    redacted = {
        tuple(r["path"]) for r in (await gql(marketing, EMAILS)).json()["extensions"]["redactions"]
        if r["reason"] == "CONSENT_WITHDRAWN"
    }  # fmt: skip
    sales_answer = (await gql(sales, EMAILS)).json()
    assert redacted
    for path in redacted:
        assert sales_answer["data"]["contacts"]["nodes"][path[2]]["email"] is not None


async def test_a_field_beyond_the_apps_scopes_is_forbidden(partner: Partner):
    client = await authorized_client(partner, await partner.register())
    answer = (await gql(client, "{ deals(first: 1) { nodes { id } } }")).json()
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_an_app_cannot_manage_apps_even_for_an_admin(partner: Partner):
    client = await authorized_client(partner, await partner.register())
    answer = (await gql(client, "{ appInstallations { id } }")).json()
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_audit_entries_name_the_app_and_the_user_it_acts_for(partner: Partner):
    registered = await partner.register()
    client = await authorized_client(partner, registered)
    assert "errors" not in (await gql(client, EMAILS)).json()
    await partner.services.extras["audit_sink"].drain()
    tenant = partner.tenants["acme"].tenant_id
    async with partner.services.db.session(tenant) as session:
        rows = (
            (
                await session.execute(
                    select(AuditEvent).where(AuditEvent.action == "pii_read")  # type: ignore[arg-type]
                )
            )
            .scalars()
            .all()
        )
    apps = [row for row in rows if row.app_client_id == registered.client.client_id]
    assert apps and all(row.actor_type == "app" for row in apps)
    admin = await find_user_id_by_email(
        partner.services, partner.tenants["acme"].emails[Role.ADMIN]
    )
    assert {row.actor_id for row in apps} == {admin}


@pytest.mark.parametrize(
    "operation",
    [
        "{ me { email memberships { tenant { slug } } } }",
        'mutation { switchTenant(tenant: "x") { accessToken } }',
        "mutation { logOut { ok } }",
        "{ ...F } fragment F on Query { me { email } }",
    ],
)
async def test_an_app_may_not_use_the_accounts_own_operations(partner: Partner, operation: str):
    """Through them an app could read its user's other memberships or obtain the user's
    own session; they are refused before execution."""
    client = await authorized_client(partner, await partner.register())
    answer = (await gql(client, operation)).json()
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert answer.get("data") is None


async def test_an_app_may_use_node_and_the_public_texts(partner: Partner):
    client = await authorized_client(partner, await partner.register())
    first = (await gql(client, "{ contacts(first: 1) { nodes { id } } }")).json()
    contact = first["data"]["contacts"]["nodes"][0]["id"]
    answer = await gql(
        client, "query($id: ID!) { node(id: $id) { id } clientStorage { name } }", {"id": contact}
    )
    assert "errors" not in answer.json(), answer.json()
