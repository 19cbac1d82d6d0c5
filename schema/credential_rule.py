"""Mutations that hand out or end credentials run alone (policy section 4; issue 8).

A request's principal, tenant and purpose are fixed when it starts. A mutation that
signs in (or out, or into another tenant) only returns credentials for the *next*
request; to make that impossible to misread, such a mutation must be the only root
field of its operation (`__typename` aside), however the document spells it: aliases,
fragment spreads and inline fragments are all followed. Anything else is refused at
validation, before any resolver runs, with `BAD_REQUEST`.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationRule,
)

CREDENTIAL_MUTATIONS = frozenset(
    {"signUp", "logIn", "refreshToken", "switchTenant", "logOut", "deleteMyAccount"}
)
"""Mutation fields that change who the caller is; a test checks each exists."""

CODE = "BAD_REQUEST"


def root_fields(selection_set: SelectionSetNode, fragment: Any) -> list[FieldNode]:
    """Every field at the root of `selection_set`, through fragments (each fragment
    followed once, so a cycle, which another rule reports, cannot loop)."""
    found: list[FieldNode] = []
    seen: set[str] = set()
    pending = [selection_set]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                found.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                definition = fragment(name)
                if name not in seen and definition is not None:
                    seen.add(name)
                    pending.append(definition.selection_set)
    return found


class CredentialMutationsAlone(ValidationRule):
    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        if node.operation is not OperationType.MUTATION:
            return
        fields = [
            f
            for f in root_fields(node.selection_set, self.context.get_fragment)
            if f.name.value != "__typename"
        ]
        credential = [f for f in fields if f.name.value in CREDENTIAL_MUTATIONS]
        if credential and len(fields) > 1:
            names = ", ".join(sorted({f.name.value for f in credential}))
            self.report_error(
                GraphQLError(
                    f"{names} must be the only field of its operation: credentials apply "
                    "from the next request, never to the rest of this one.",
                    credential,
                    extensions={"code": CODE},
                )
            )
