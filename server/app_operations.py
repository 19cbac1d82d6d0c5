"""What a partner app's token may call (issue 12, policy section 6): the root fields an
app's scopes govern, nothing else.

Every field that reads or changes tenant data carries a permission (`guarded_field`,
or the type's read permission attached by schema/object_policy.py), and an app's
permissions are its scopes' (auth/principal.py `Principal.for_app`). The few root
fields without one act on the account itself (`me`, `logOut`, `switchTenant`,
`refreshToken`, `registerApp`, ...): through them an app's token could read its user's
other memberships or obtain the user's own session. They are refused to apps before
execution; only the public, non-personal ones stay (`APP_PUBLIC`).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    parse,
)

from auth.principal import Principal
from core.errors import AppError, Code
from schema.credential_rule import root_fields
from schema.policy import RequirePermission

APP_PUBLIC = frozenset(
    {"__typename", "__schema", "__type", "node", "nodes", "privacyPolicy", "clientStorage"}
)
"""Root fields without a permission of their own that an app may still use: `node` and
`nodes` check the permission of the type an id names; the others are public texts."""


@cache
def governed_by_scopes(schema: Any) -> frozenset[str]:
    """Root fields (queries and mutations) that carry a permission (`schema`: a
    strawberry schema, hashable by identity)."""
    names: set[str] = set()
    for type_name in ("Query", "Mutation"):
        gql_type = schema._schema.get_type(type_name)
        for name, field in getattr(gql_type, "fields", {}).items():
            definition = field.extensions.get("strawberry-definition")
            extensions = getattr(definition, "extensions", ())
            if any(isinstance(e, RequirePermission) for e in extensions):
                names.add(name)
    return frozenset(names)


def _root_names(document: DocumentNode) -> set[str]:
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    names: set[str] = set()
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            names |= {f.name.value for f in root_fields(definition.selection_set, fragments.get)}
    return names


def refused_to_app(
    schema: Any, principal: Principal | None, query: str | None
) -> GraphQLError | None:
    """FORBIDDEN when an app's operation names a root field its scopes do not govern."""
    if principal is None or principal.client_id is None or query is None:
        return None
    try:
        document = parse(query)
    except GraphQLError:
        return None  # the executor answers a document that does not parse
    outside = _root_names(document) - governed_by_scopes(schema) - APP_PUBLIC
    if not outside:
        return None
    return AppError(
        Code.FORBIDDEN,
        f"A partner app may not use {', '.join(sorted(outside))}: only operations its "
        "scopes govern.",
    )
