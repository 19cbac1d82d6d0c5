"""Policy declarations checked when the schema is built (DESIGN "One declaration per
field"; issue 9), in the manner of strawberry's `PermissionExtension.apply()`: a broken
declaration stops the application from starting, with a message naming the field.

- Every field of a `@tenantScoped` type declares its policy (`pii_field`,
  `plain_field` or `guarded_field`).
- Every personal-data field is nullable (a redaction is `null`, never an error), names
  a mask only together with the permission that sees it, can be shown under some
  purpose, and reads an attribute its row class has.
- Every relation's declared `Batch` matches what its field returns (a list for
  `many`, one object otherwise).

The tests in tests/schema/test_schema_gate.py remain, as documentation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import GraphQLField, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLSchema

from privacy.purposes import PURPOSES
from privacy.render import PiiSpec
from schema.directives import TenantScoped
from schema.policy import POLICY_KEY, GuardPolicy, PlainPolicy


class PolicyDeclarationError(Exception):
    """A field's policy declaration is missing or inconsistent."""


def policy_of(field: GraphQLField) -> Any:
    definition = field.extensions.get("strawberry-definition")
    return (getattr(definition, "metadata", None) or {}).get(POLICY_KEY)


def is_tenant_scoped(gql_type: GraphQLObjectType) -> bool:
    definition = gql_type.extensions.get("strawberry-definition")
    return definition is not None and any(
        isinstance(d, TenantScoped) for d in definition.directives
    )


def _object_types(schema: GraphQLSchema) -> Iterator[GraphQLObjectType]:
    for name, gql_type in sorted(schema.type_map.items()):
        if not name.startswith("__") and isinstance(gql_type, GraphQLObjectType):
            yield gql_type


def _row_attributes() -> dict[str, set[str]]:
    """The attributes of each row class, by the GraphQL type it backs."""
    from resolvers import rows

    found: dict[str, set[str]] = {}
    for cls in vars(rows).values():
        type_name = getattr(cls, "TYPE_NAME", "")
        if type_name:
            slots = {s for c in cls.__mro__ for s in getattr(c, "__slots__", ())}
            found[type_name] = slots | {n for n in dir(cls) if not n.startswith("_")}
    return found


def _pii_problems(
    where: str, field: GraphQLField, spec: PiiSpec, row: set[str] | None
) -> list[str]:
    policy = spec.policy
    problems = []
    if isinstance(field.type, GraphQLNonNull):
        problems.append(f"{where} is personal data and must be nullable (a redaction is null)")
    if (policy.mask is None) != (policy.mask_permission is None):
        problems.append(f"{where} declares a mask without the permission that sees it")
    if policy.subject_bound and not any(policy.category in r.categories for r in PURPOSES.values()):
        problems.append(f"{where}: no purpose may use {policy.category.name}, so it never shows")
    if row is not None and row and spec.source not in row:
        problems.append(f"{where} reads `{spec.source}`, which its row class does not have")
    return problems


def _batch_problems(where: str, field: GraphQLField, guard: GuardPolicy) -> list[str]:
    if guard.batch is None:
        return []
    returned = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    if isinstance(returned, GraphQLList) != guard.batch.many:
        shape = "a list" if guard.batch.many else "one object"
        return [f"{where} declares a batch of {shape} but returns {field.type}"]
    return []


def declaration_problems(schema: GraphQLSchema) -> list[str]:
    rows = _row_attributes()
    problems: list[str] = []
    for gql_type in _object_types(schema):
        tenant = is_tenant_scoped(gql_type)
        for name, field in gql_type.fields.items():
            where = f"{gql_type.name}.{name}"
            policy = policy_of(field)
            if tenant and not isinstance(policy, PlainPolicy | PiiSpec | GuardPolicy):
                problems.append(
                    f"{where} declares no policy: use pii_field, plain_field or guarded_field"
                )
            if isinstance(policy, PiiSpec):
                problems += _pii_problems(where, field, policy, rows.get(gql_type.name))
            elif isinstance(policy, GuardPolicy):
                problems += _batch_problems(where, field, policy)
    return problems


def check_declarations(schema: GraphQLSchema) -> None:
    problems = declaration_problems(schema)
    if problems:
        raise PolicyDeclarationError(
            "The schema's policy declarations are broken:\n- " + "\n- ".join(problems)
        )
