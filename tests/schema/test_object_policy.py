"""One read permission per type, declared with the type and attached to every field
that returns it when the schema is built (issue 9)."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from graphql import GraphQLObjectType

from auth.permissions import Permission as P
from auth.permissions import Role
from resolvers.global_ids import encode_id
from schema.build import build_schema
from schema.object_policy import read_permission
from schema.policy import RequirePermission

SCHEMA = build_schema()
GQL = SCHEMA._schema


def named(gql_type: Any) -> Any:
    while hasattr(gql_type, "of_type"):
        gql_type = gql_type.of_type
    return gql_type


def declared_read(type_name: str) -> P | None:
    gql_type = GQL.type_map[type_name]
    return read_permission(gql_type.extensions.get("strawberry-definition"))


def fields_returning_tenant_types() -> list[tuple[str, str, Any, P]]:
    found = []
    for type_name, gql_type in sorted(GQL.type_map.items()):
        if type_name.startswith("__") or not isinstance(gql_type, GraphQLObjectType):
            continue
        for name, field in gql_type.fields.items():
            target = named(field.type)
            permission = (
                declared_read(target.name) if isinstance(target, GraphQLObjectType) else None
            )
            if permission is not None:
                found.append((type_name, name, field, permission))
    return found


def test_the_tenant_types_declare_their_read_permission() -> None:
    assert declared_read("Contact") is P.CONTACTS_READ
    assert declared_read("Company") is P.COMPANIES_READ
    assert declared_read("Deal") is P.DEALS_READ
    assert declared_read("Activity") is P.ACTIVITIES_READ
    assert declared_read("Member") is P.MEMBERS_READ


def test_every_field_returning_a_tenant_type_checks_its_read_permission() -> None:
    fields = fields_returning_tenant_types()
    names = {f"{t}.{n}" for t, n, _, _ in fields}
    assert {"ContactPayload.contact", "ContactConnection.nodes", "Company.contacts",
            "Query.contact", "Deal.company"} <= names  # fmt: skip
    unguarded = [
        f"{t}.{n}"
        for t, n, field, permission in fields
        if permission
        not in {
            e.permission
            for e in field.extensions["strawberry-definition"].extensions
            if isinstance(e, RequirePermission)
        }
    ]
    assert unguarded == []


def test_the_attached_permission_is_printed_on_the_field() -> None:
    sdl = SCHEMA.as_str()
    assert "contact: Contact! @requires(permission: CONTACTS_READ)" in sdl
    assert "nodes: [Contact!]! @requires(permission: CONTACTS_READ)" in sdl


def test_building_the_schema_again_attaches_nothing_twice() -> None:
    again = build_schema()._schema
    field = again.type_map["ContactPayload"].fields["contact"]
    guards = [
        e
        for e in field.extensions["strawberry-definition"].extensions
        if isinstance(e, RequirePermission)
    ]
    assert [g.permission for g in guards] == [P.CONTACTS_READ]


async def test_a_payload_of_a_type_the_caller_may_not_read_is_forbidden_and_writes_nothing(
    runner: Any, tenant_a: Any
) -> None:
    writer = dataclasses.replace(
        tenant_a.principal(Role.SALES),
        permissions=frozenset({P.CONTACTS_WRITE}),
    )
    result = await runner(
        writer,
        'mutation { createContact(input: {firstName: "Ada"}) { contact { id firstName } } }',
    )
    assert result.data is None
    assert [e.extensions["code"] for e in result.errors] == ["FORBIDDEN"]
    assert result.errors[0].path == ["createContact", "contact"]
    owner = tenant_a.principal(Role.OWNER)
    listed = await runner(owner, "{ contacts(first: 10) { totalCount } }")
    assert listed.data == {"contacts": {"totalCount": 0}}


async def test_node_reads_the_permission_the_type_declares(runner: Any, tenant_a: Any) -> None:
    deal_id = encode_id("Deal", uuid.uuid4())
    no_deals = dataclasses.replace(
        tenant_a.principal(Role.OWNER),
        permissions=frozenset(set(P) - {P.DEALS_READ}),
    )
    result = await runner(no_deals, f'{{ node(id: "{deal_id}") {{ id }} }}')
    assert [e.extensions["code"] for e in result.errors] == ["NOT_FOUND"]
