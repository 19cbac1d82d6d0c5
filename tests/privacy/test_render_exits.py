"""One policy runtime, every exit (issue 9): the same person read by the same caller
gives the same values and the same redactions whichever way the data leaves.

The exits: a single object (the stock executor), a list (the fast executor), `node`,
a mutation's payload, a nested relation, and the plain function call an export, a
webhook or a subscription event makes (`privacy.render.render_row`, no GraphQL). The
demo seed puts contacts in every consent and processing state.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from graphql import GraphQLObjectType

from auth.permissions import Role
from auth.principal import Principal
from core.context import RequestContext
from privacy.render import PiiSpec, render_row
from resolvers.contacts import reload_contact
from resolvers.global_ids import decode_id
from schema.build import build_schema
from schema.policy import POLICY_KEY
from tests.security.conftest import (  # noqa: F401  (the fixtures)
    Demo,
    attack_settings,
    demo,
)

ROLES = (Role.SALES, Role.MARKETING, Role.SUPPORT, Role.READ_ONLY)


def contact_pii_fields() -> list[tuple[str, PiiSpec]]:
    """(GraphQL name, spec) of every personal-data field of Contact."""
    contact = build_schema()._schema.type_map["Contact"]
    assert isinstance(contact, GraphQLObjectType)
    out = []
    for name, field in contact.fields.items():
        spec = field.extensions["strawberry-definition"].metadata.get(POLICY_KEY)
        if isinstance(spec, PiiSpec):
            out.append((name, spec))
    return out


FIELDS = contact_pii_fields()
SELECTION = " ".join(["id", *(name for name, _ in FIELDS)])
Outcome = tuple[dict[str, Any], frozenset[tuple[str, str, str, bool]]]


def outcome_at(answer: dict[str, Any], where: list[Any], node: dict[str, Any]) -> Outcome:
    """The node's personal-data values and the redactions listed under its path."""
    values = {name: node[name] for name, _ in FIELDS}
    width = len(where)
    entries = frozenset(
        (e["path"][width], e["reason"], e["category"], bool(e.get("masked")))
        for e in (answer.get("extensions") or {}).get("redactions", [])
        if e["path"][:width] == where and len(e["path"]) == width + 1
    )
    return values, entries


async def through_stock(api: Demo, headers: dict[str, str], gid: str) -> Outcome:
    answer = await api.gql(f'{{ contact(id: "{gid}") {{ {SELECTION} }} }}', None, headers)
    return outcome_at(answer, ["contact"], answer["data"]["contact"])


async def through_fast(api: Demo, headers: dict[str, str], gid: str) -> Outcome:
    answer = await api.gql(
        f"{{ contacts(first: 100) {{ nodes {{ {SELECTION} }} }} }}", None, headers
    )
    nodes = answer["data"]["contacts"]["nodes"]
    index = next(i for i, n in enumerate(nodes) if n["id"] == gid)
    return outcome_at(answer, ["contacts", "nodes", index], nodes[index])


async def through_node(api: Demo, headers: dict[str, str], gid: str) -> Outcome:
    answer = await api.gql(
        f'{{ node(id: "{gid}") {{ ... on Contact {{ {SELECTION} }} }} }}', None, headers
    )
    return outcome_at(answer, ["node"], answer["data"]["node"])


async def through_payload(api: Demo, headers: dict[str, str], gid: str) -> Outcome:
    answer = await api.gql(
        f'mutation {{ updateContact(id: "{gid}", input: {{}}) {{ contact {{ {SELECTION} }} }} }}',
        None,
        headers,
    )
    return outcome_at(
        answer, ["updateContact", "contact"], answer["data"]["updateContact"]["contact"]
    )


async def through_relation(api: Demo, headers: dict[str, str], gid: str) -> Outcome | None:
    answer = await api.gql(
        f'{{ contact(id: "{gid}") {{ company {{ contacts(first: 100) {{ {SELECTION} }} }} }} }}',
        None,
        headers,
    )
    company = answer["data"]["contact"]["company"]
    if company is None:
        return None
    index = next(i for i, n in enumerate(company["contacts"]) if n["id"] == gid)
    where = ["contact", "company", "contacts", index]
    return outcome_at(answer, where, company["contacts"][index])


async def through_function(api: Demo, role: Role, gid: str) -> Outcome:
    """No GraphQL: the row as read by the resolvers, rendered for the caller's policy."""
    tenant = api.tenants["acme"]
    principal = Principal.for_role(
        tenant.users[role], tenant.tenant_id, role, "bearer", uuid.uuid4()
    )
    services = api.services
    async with services.db.session(tenant.tenant_id) as session:
        ctx = RequestContext(services=services, principal=principal, session=session)
        ctx.cipher = await services.keyring.cipher(session, tenant.tenant_id)
        row = await reload_contact(ctx, decode_id(gid, "Contact")[1])
        rendered = render_row(ctx.policy, FIELDS, row, ctx.cipher.decrypt)
    entries = frozenset(
        (e["path"][0], e["reason"], e["category"], bool(e.get("masked")))
        for e in rendered.redactions
    )
    return rendered.values, entries


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value)
async def test_every_exit_renders_a_person_alike(demo: Demo, role: Role) -> None:  # noqa: F811
    headers = await demo.headers("acme", role)
    owner = await demo.headers("acme", Role.OWNER)
    listing = await demo.gql("{ contacts(first: 30) { nodes { id } } }", None, owner)
    checked = 0
    for node in listing["data"]["contacts"]["nodes"]:
        gid = node["id"]
        stock = await through_stock(demo, headers, gid)
        assert await through_fast(demo, headers, gid) == stock, gid
        assert await through_node(demo, headers, gid) == stock, gid
        assert await through_function(demo, role, gid) == stock, gid
        related = await through_relation(demo, headers, gid)
        assert related is None or related == stock, gid
        if role in (Role.SALES, Role.MARKETING):  # the roles that may write contacts
            assert await through_payload(demo, headers, gid) == stock, gid
        checked += 1
    assert checked == 30


def test_render_row_needs_no_graphql() -> None:
    """The runtime module imports nothing of GraphQL, so any exit can call it."""
    import sys

    import privacy.render as runtime

    with open(runtime.__file__) as module:
        source = module.read()
    assert "graphql" not in source.replace("GraphQL", "")
    assert "strawberry" not in source
    assert "privacy.render" in sys.modules
