"""The schema gate (DESIGN "One declaration per field"): walks the built schema and fails
on any field of a tenant-scoped type without a declared policy, any personal-data
field that is non-nullable, and any category, permission or purpose that the policy
tables do not know; the printed SDL shows the declarations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from graphql import GraphQLField, GraphQLNonNull, GraphQLObjectType, GraphQLSchema

from auth.permissions import ROLE_GRANTS, Permission
from privacy.categories import DESCRIPTIONS, DataCategory
from privacy.purposes import PURPOSES
from resolvers import rows
from schema.build import build_schema
from schema.directives import Pii, Requires, TenantScoped
from schema.policy import POLICY_KEY, GuardPolicy, PiiSpec, PlainPolicy

SCHEMA = build_schema()
GQL: GraphQLSchema = SCHEMA._schema
SDL = SCHEMA.as_str()


def object_types() -> Iterator[GraphQLObjectType]:
    for name, t in sorted(GQL.type_map.items()):
        if not name.startswith("__") and isinstance(t, GraphQLObjectType):
            yield t


def is_tenant_scoped(t: GraphQLObjectType) -> bool:
    definition = t.extensions.get("strawberry-definition")
    return definition is not None and any(
        isinstance(d, TenantScoped) for d in definition.directives
    )


def policy_of(field: GraphQLField) -> Any:
    strawberry_field = field.extensions.get("strawberry-definition")
    return (getattr(strawberry_field, "metadata", None) or {}).get(POLICY_KEY)


def all_fields() -> Iterator[tuple[str, str, GraphQLField]]:
    for t in object_types():
        for name, field in t.fields.items():
            yield t.name, name, field


TENANT_TYPES = [t for t in object_types() if is_tenant_scoped(t)]
PII_FIELDS = [
    (type_name, name, field, policy_of(field))
    for type_name, name, field in all_fields()
    if isinstance(policy_of(field), PiiSpec)
]


def test_the_gate_sees_the_tenant_scoped_types() -> None:
    names = {t.name for t in TENANT_TYPES}
    assert {"Contact", "Company", "Deal", "Activity", "Member", "PersonalDataAccessEntry"} <= names
    assert {(t, f) for t, f, _, _ in PII_FIELDS} >= {("Contact", "email"), ("Member", "email")}


@pytest.mark.parametrize("gql_type", TENANT_TYPES, ids=lambda t: t.name)
def test_every_field_of_a_tenant_scoped_type_declares_a_policy(gql_type: GraphQLObjectType) -> None:
    undeclared = [
        name
        for name, field in gql_type.fields.items()
        if not isinstance(policy_of(field), PlainPolicy | PiiSpec | GuardPolicy)
    ]
    assert undeclared == []


@pytest.mark.parametrize(
    ("type_name", "field_name", "field"),
    [pytest.param(t, n, f, id=f"{t}.{n}") for t, n, f, _ in PII_FIELDS],
)
def test_every_personal_data_field_is_nullable(type_name: str, field_name: str, field: Any) -> None:
    assert not isinstance(field.type, GraphQLNonNull)


@pytest.mark.parametrize(
    ("type_name", "field_name", "spec"),
    [pytest.param(t, n, s, id=f"{t}.{n}") for t, n, _, s in PII_FIELDS],
)
def test_every_personal_data_policy_uses_known_categories_and_permissions(
    type_name: str, field_name: str, spec: PiiSpec
) -> None:
    policy = spec.policy
    assert isinstance(policy.category, DataCategory)
    assert policy.category in DESCRIPTIONS
    assert isinstance(policy.permission, Permission)
    assert (policy.mask is None) == (policy.mask_permission is None)
    assert any(policy.category in rule.categories for rule in PURPOSES.values()) or (
        not policy.subject_bound
    ), f"no purpose may ever use {policy.category.name}: the field could never be shown"


ROW_CLASSES = {cls.TYPE_NAME: cls for cls in vars(rows).values() if getattr(cls, "TYPE_NAME", "")}


@pytest.mark.parametrize(
    ("type_name", "field_name", "spec"),
    [pytest.param(t, n, s, id=f"{t}.{n}") for t, n, _, s in PII_FIELDS if t in ROW_CLASSES],
)
def test_every_personal_data_field_reads_a_column_its_row_has(
    type_name: str, field_name: str, spec: PiiSpec
) -> None:
    row_class = ROW_CLASSES[type_name]
    slots = {s for cls in row_class.__mro__ for s in getattr(cls, "__slots__", ())}
    assert spec.source in slots or isinstance(getattr(row_class, spec.source, None), property)


@pytest.mark.parametrize(
    ("type_name", "field_name", "field"),
    [pytest.param(t, n, f, id=f"{t}.{n}") for t, n, f, _ in PII_FIELDS],
)
def test_every_personal_data_field_prints_its_policy(
    type_name: str, field_name: str, field: Any
) -> None:
    spec: PiiSpec = policy_of(field)
    block = re.search(rf"\ntype {type_name}\b[^{{]*{{(.*?)\n}}", SDL, re.S)
    assert block is not None
    line = re.search(rf"\n  {field_name}: [^\n]*", block.group(1))
    assert line is not None
    assert f"@pii(category: {spec.policy.category.name}" in line.group(0)
    assert f"@requires(permission: {spec.policy.permission.name})" in line.group(0)
    assert "Personal data (" in (field.description or "")
    directives = field.extensions["strawberry-definition"].directives
    assert any(isinstance(d, Pii) and d.category is spec.policy.category for d in directives)
    assert any(
        isinstance(d, Requires) and d.permission is spec.policy.permission for d in directives
    )


def test_every_directive_category_exists() -> None:
    for _, _, field in all_fields():
        strawberry_field = field.extensions.get("strawberry-definition")
        for directive in getattr(strawberry_field, "directives", ()):
            if isinstance(directive, Pii):
                assert isinstance(directive.category, DataCategory)


@pytest.mark.parametrize("role", list(ROLE_GRANTS), ids=lambda r: r.value)
def test_every_role_acts_under_known_purposes(role: Any) -> None:
    purposes = ROLE_GRANTS[role].purposes
    assert purposes, "a role without purposes can never see personal data"
    assert all(p in PURPOSES for p in purposes)
    assert len(set(purposes)) == len(purposes)


def test_the_printed_sdl_shows_the_declarations() -> None:
    assert "@pii(" in SDL
    assert "@requires(" in SDL
    assert "@tenantScoped" in SDL
    for t in TENANT_TYPES:
        assert re.search(rf"\ntype {t.name}\b[^{{]*@tenantScoped", SDL), t.name
