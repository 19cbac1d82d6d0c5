"""Closed sets answered and accepted as enums, and `node(id:)` refetching every type
that implements `Node` (issue 14)."""

from __future__ import annotations

import uuid
from typing import Any

from graphql import GraphQLObjectType

from auth.permissions import Role
from resolvers.global_ids import encode_id
from schema.build import build_schema
from tests.support.results import errors
from tests.support.world import Runner, TenantWorld

CREATE_CONTACT = """
mutation($input: CreateContactInput!) { createContact(input: $input) { contact { id } } }
"""
STAGES = "query($stage: LifecycleStage) { contacts(filter: {lifecycleStage: $stage}) "
STAGES += "{ nodes { lifecycleStage } } }"
NODE = "query($id: ID!) { node(id: $id) { __typename id } }"


async def ok(runner: Runner, world: TenantWorld, query: str, variables: Any = None) -> Any:
    result = await runner(world.principal(Role.OWNER), query, variables)
    assert result.errors is None, result.errors
    return result.data


async def one_of_each(runner: Runner, world: TenantWorld) -> dict[str, str]:
    """The global id of one object of every Node type, made through the API."""
    contact = (await ok(runner, world, CREATE_CONTACT, {"input": {"firstName": "Ada"}}))[
        "createContact"
    ]["contact"]["id"]
    company = await ok(runner, world, 'mutation { createCompany(input: {name: "Acme"}) '
                       "{ company { id } } }")  # fmt: skip
    deal = await ok(runner, world, 'mutation { createDeal(input: {title: "Big"}) { deal { id } } }')
    activity = await ok(
        runner,
        world,
        'mutation($c: ID) { createActivity(input: {kind: CALL, subject: "Hi", contact: $c}) '
        "{ activity { id } } }",
        {"c": contact},
    )
    return {
        "Contact": contact,
        "Company": company["createCompany"]["company"]["id"],
        "Deal": deal["createDeal"]["deal"]["id"],
        "Activity": activity["createActivity"]["activity"]["id"],
        "Member": encode_id("Member", world.users[Role.SALES]),
    }


def node_types() -> set[str]:
    schema = build_schema()._schema
    return {
        t.name
        for t in schema.type_map.values()
        if isinstance(t, GraphQLObjectType) and any(i.name == "Node" for i in t.interfaces)
    }


async def test_a_contact_stage_is_answered_as_the_enum_name(
    runner: Runner, tenant_a: TenantWorld
) -> None:
    await ok(runner, tenant_a, CREATE_CONTACT, {"input": {"lifecycleStage": "CUSTOMER"}})
    data = await ok(runner, tenant_a, STAGES)
    assert data["contacts"]["nodes"] == [{"lifecycleStage": "CUSTOMER"}]


async def test_contacts_are_filtered_by_the_stage_enum(
    runner: Runner, tenant_a: TenantWorld
) -> None:
    for stage in ("CUSTOMER", "LEAD"):
        await ok(runner, tenant_a, CREATE_CONTACT, {"input": {"lifecycleStage": stage}})
    data = await ok(runner, tenant_a, STAGES, {"stage": "LEAD"})
    assert data["contacts"]["nodes"] == [{"lifecycleStage": "LEAD"}]


async def test_activities_are_filtered_by_the_kind_enum(
    runner: Runner, tenant_a: TenantWorld
) -> None:
    await one_of_each(runner, tenant_a)
    query = "query($k: ActivityKind) { activities(filter: {kind: $k}) { nodes { kind } } }"
    assert (await ok(runner, tenant_a, query, {"k": "CALL"}))["activities"]["nodes"] == [
        {"kind": "CALL"}
    ]
    assert (await ok(runner, tenant_a, query, {"k": "NOTE"}))["activities"]["nodes"] == []


async def test_a_member_role_is_answered_as_the_role_enum(
    runner: Runner, tenant_a: TenantWorld
) -> None:
    data = await ok(runner, tenant_a, "{ members { role } }")
    assert sorted(m["role"] for m in data["members"]) == sorted(r.name for r in Role)


async def test_node_refetches_every_type_that_implements_node(
    runner: Runner, tenant_a: TenantWorld
) -> None:
    ids = await one_of_each(runner, tenant_a)
    assert set(ids) == node_types(), "give one_of_each an object of every Node type"
    for type_name, global_id in ids.items():
        data = await ok(runner, tenant_a, NODE, {"id": global_id})
        assert data["node"] == {"__typename": type_name, "id": global_id}


async def test_a_member_of_another_tenant_answers_like_one_that_never_existed(
    runner: Runner, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    owner = tenant_a.principal(Role.OWNER)
    other = await runner(owner, NODE, {"id": encode_id("Member", tenant_b.users[Role.SALES])})
    never = await runner(owner, NODE, {"id": encode_id("Member", uuid.uuid4())})
    assert (other.data, errors(other)) == (never.data, errors(never))
    assert errors(other)[0]["extensions"] == {"code": "NOT_FOUND"}
