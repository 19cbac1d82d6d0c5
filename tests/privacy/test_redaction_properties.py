"""Generated queries never leak: no value of tenant A reaches tenant B, and no value of a
field whose decision is a redaction reaches a redacted role of tenant A.

Every personal value of tenant A is a unique canary (tests/privacy/conftest.py), as are
its company names and global ids. Two query generators: a hand-rolled one over the
contact fields (random subsets, aliases, named and inline fragments, variables for
`first`, every entry point with ids of both tenants) and hypothesis-graphql over the
contact root fields with ids drawn from both tenants. The whole JSON of each response
(data, errors, extensions) is searched. One seeded database serves every example.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes
from hypothesis_graphql import strategies as gql_strategies

from auth.permissions import Role
from resolvers.global_ids import encode_id
from tests.privacy.conftest import FIELDS, SyncWorld, expected_cell

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
REDACTED_A_ROLES = [Role.READ_ONLY, Role.MARKETING, Role.SUPPORT]
PLAIN = ["id", "lifecycleStage", "source", "createdAt"]


def _dump(result: Any) -> str:
    return json.dumps(
        {
            "data": result.data,
            "errors": [e.formatted for e in result.errors or []],
            "extensions": result.extensions,
        },
        default=str,
        ensure_ascii=False,
    )


def forbidden_for(world: SyncWorld, principal_tenant: str, role: Role) -> set[str]:
    seed = world.seed
    if principal_tenant == "b":
        return seed.a_canaries()
    out = set()
    for c in seed.contacts.values():
        for name in FIELDS:
            if name in c.canaries and expected_cell(c.key, role, name).kind != "value":
                out.add(c.canaries[name])
    return out


def assert_no_leak(world: SyncWorld, tenant: str, role: Role, query: str, variables: Any) -> None:
    result = world.run(world.principal(role, tenant), query, variables)
    text = _dump(result)
    leaked = sorted(m for m in forbidden_for(world, tenant, role) if m in text)
    assert leaked == [], f"{leaked} leaked by {query} {variables}: {text[:2000]}"


# --- hand-rolled queries over the contact fields -----------------------------------------

names = st.sampled_from([*FIELDS, *PLAIN])
aliases = st.one_of(st.none(), st.sampled_from(["a", "b", "x1", "email", "firstName", "id2"]))


@st.composite
def selections(draw: Any) -> str:
    chosen = draw(st.lists(st.tuples(aliases, names), min_size=1, max_size=8))
    # Two fields under the same response name must be the same field; keep the first.
    seen: dict[str, str] = {}
    parts = []
    for alias, name in chosen:
        key = alias or name
        if seen.setdefault(key, name) != name:
            continue
        parts.append(f"{alias}: {name}" if alias else name)
    return " ".join(parts)


TEMPLATES = {
    "contacts": "contacts(first: $first) { nodes { BODY } } n: node(id: $id) { id }",
    "edges": "contacts(first: $first) { totalCount edges { node { BODY } } } "
    "c: contact(id: $id) { id }",
    "contact": "contact(id: $id) { BODY } f: contacts(first: $first) { nodes { id } }",
    "node": "node(id: $id) { id ON_NODE } f: contacts(first: $first) { nodes { id } }",
    "nodes": "nodes(ids: $ids) { id ON_NODE } c: contact(id: $id) { id } "
    "f: contacts(first: $first) { nodes { id } }",
    "company": "contact(id: $id) { company { name contacts(first: $first) { BODY } } }",
}


@st.composite
def documents(draw: Any, ids: list[str]) -> tuple[str, dict[str, Any]]:
    body = draw(selections())
    style = draw(st.sampled_from(["plain", "named", "inline"]))
    fragment = ""
    if style == "named":
        fragment = "fragment F on Contact { " + body + " }"
        body = "...F"
    elif style == "inline":
        body = "... on Contact { " + body + " }"
    entry = draw(st.sampled_from(sorted(TEMPLATES)))
    variables: dict[str, Any] = {
        "first": draw(st.integers(0, 20)),
        "id": draw(st.sampled_from(ids)),
    }
    on_node = body if style != "plain" else "... on Contact { " + body + " }"
    header = "query($first: Int, $id: ID!)"
    if entry == "nodes":
        variables["ids"] = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=4))
        header = "query($first: Int, $id: ID!, $ids: [ID!]!)"
    query = header + " { " + TEMPLATES[entry].replace("BODY", body).replace("ON_NODE", on_node)
    query += " }"
    return f"{query} {fragment}", variables


def _all_ids(world: SyncWorld) -> list[str]:
    seed = world.seed
    return [
        *(c.gid for c in seed.contacts.values()),
        *(c.gid for c in seed.b_contacts),
        *(c.company_gid for c in seed.contacts.values()),
        encode_id("Contact", uuid.uuid4()),
        "not-an-id",
    ]


@SETTINGS
@given(data=st.data())
def test_generated_contact_queries_as_tenant_b_show_nothing_of_tenant_a(
    module_world: SyncWorld, data: st.DataObject
) -> None:
    query, variables = data.draw(documents(_all_ids(module_world)))
    role = data.draw(st.sampled_from(list(Role)))
    assert_no_leak(module_world, "b", role, query, variables)


@SETTINGS
@given(data=st.data())
def test_generated_contact_queries_never_show_a_redacted_value_in_tenant_a(
    module_world: SyncWorld, data: st.DataObject
) -> None:
    query, variables = data.draw(documents(_all_ids(module_world)))
    role = data.draw(st.sampled_from(REDACTED_A_ROLES))
    assert_no_leak(module_world, "a", role, query, variables)


# --- hypothesis-graphql over the contact root fields -------------------------------------


def _schema_queries(world: SyncWorld) -> st.SearchStrategy[str]:
    ids = st.sampled_from(_all_ids(world)).map(nodes.String)
    return gql_strategies.queries(
        world.runner.schema.as_str(),
        fields=["contacts", "contact", "node", "nodes"],
        custom_scalars={"ID": ids, "DateTime": st.just(nodes.String("2020-01-01T00:00:00Z"))},
        allow_x00=False,
    )


@SETTINGS
@given(data=st.data())
def test_schema_generated_queries_leak_nothing(
    module_world: SyncWorld, data: st.DataObject
) -> None:
    query = data.draw(_schema_queries(module_world))
    tenant, role = data.draw(
        st.sampled_from(
            [("b", r) for r in (Role.OWNER, Role.SALES, Role.READ_ONLY)]
            + [("a", r) for r in REDACTED_A_ROLES]
        )
    )
    assert_no_leak(module_world, tenant, role, query, None)


def test_the_canaries_are_visible_to_a_full_reader(module_world: SyncWorld) -> None:
    """The check above means something: sales of tenant A does see A's canaries."""
    query = "{ contacts(first: 50) { nodes { " + " ".join(FIELDS) + " } } }"
    result = module_world.run(module_world.principal(Role.SALES), query)
    text = _dump(result)
    seen = {
        m for c in module_world.seed.contacts.values() for m in c.canaries.values() if m in text
    }
    assert module_world.seed.contacts["none"].canaries["email"] in seen
    assert len(seen) > 50
