"""Types clients can trust (issue 14): create and update inputs are separate, with the
fields a create needs non-null in the SDL, and closed sets are enums made from the
one tuple the models validate against, so generated client types are exact."""

from __future__ import annotations

from functools import cache

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLSchema, is_non_null_type

from auth.permissions import Role
from models.activities import ACTIVITY_KINDS
from models.contacts import LIFECYCLE_STAGES
from schema.build import build_schema


@cache
def sdl() -> GraphQLSchema:
    return build_schema()._schema


def required_fields(name: str) -> set[str]:
    input_type = sdl().get_type(name)
    assert isinstance(input_type, GraphQLInputObjectType), name
    return {key for key, field in input_type.fields.items() if is_non_null_type(field.type)}


def enum_values(name: str) -> list[str]:
    enum_type = sdl().get_type(name)
    assert isinstance(enum_type, GraphQLEnumType), name
    return list(enum_type.values)


def output_type(type_name: str, field: str) -> str:
    return str(sdl().get_type(type_name).fields[field].type)  # type: ignore[union-attr]


def argument_type(mutation: str) -> str:
    return str(sdl().mutation_type.fields[mutation].args["input"].type)  # type: ignore[union-attr]


def test_create_company_input_requires_the_name() -> None:
    assert required_fields("CreateCompanyInput") == {"name"}


def test_create_deal_input_requires_the_title() -> None:
    assert required_fields("CreateDealInput") == {"title"}


def test_create_activity_input_requires_kind_and_subject() -> None:
    assert required_fields("CreateActivityInput") == {"kind", "subject"}


def test_update_inputs_leave_every_field_optional() -> None:
    for kind in ("Company", "Contact", "Deal", "Activity"):
        assert required_fields(f"Update{kind}Input") == set(), kind


def test_create_and_update_mutations_take_their_own_input_types() -> None:
    assert [argument_type(f"{verb}Company") for verb in ("create", "update")] == [
        "CreateCompanyInput!",
        "UpdateCompanyInput!",
    ]


def test_lifecycle_stage_is_an_enum_of_the_model_stages() -> None:
    assert enum_values("LifecycleStage") == [s.upper() for s in LIFECYCLE_STAGES]
    assert output_type("Contact", "lifecycleStage") == "LifecycleStage!"


def test_activity_kind_is_an_enum_of_the_model_kinds() -> None:
    assert enum_values("ActivityKind") == [k.upper() for k in ACTIVITY_KINDS]
    assert output_type("Activity", "kind") == "ActivityKind!"


def test_member_role_is_the_role_enum() -> None:
    assert enum_values("Role") == [r.name for r in Role]
    assert output_type("Member", "role") == "Role!"
