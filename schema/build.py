"""Composing the schema from the domain modules, with its extensions.

Each domain module under schema/operations contributes a `Query` and, where it has
writes, a `Mutation`; they are merged here so domains never edit a shared file.
"""

from __future__ import annotations

import importlib
from typing import Any

import strawberry
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from schema import directives
from schema.fast_execution import FastExecutionContext
from schema.invariants import check_declarations
from schema.object_policy import attach_read_guards
from schema.types import activities, companies, contacts, deals, members  # noqa: F401

DOMAINS = (
    "node", "contacts", "companies", "deals", "activities", "accounts", "audit", "client_storage",
    "privacy_requests", "privacy_policy", "exports", "erasure", "legal_holds", "account_self",
    "retention", "trash", "policy_versions", "minors", "audit_chain", "apps", "webhooks",
    "explain", "jobs",
)  # fmt: skip
"""A domain listed here whose module does not exist yet contributes nothing."""


def _roots(attr: str) -> tuple[type, ...]:
    found = []
    for name in DOMAINS:
        try:
            module = importlib.import_module(f"schema.operations.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"schema.operations.{name}":
                raise
            continue
        if hasattr(module, attr):
            found.append(getattr(module, attr))
    return tuple(found)


class LedgerlineSchema(strawberry.Schema):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Each tenant type's read permission reaches every field returning it before
        # strawberry converts the fields (and their extensions).
        attach_read_guards(
            [kwargs.get("query"), kwargs.get("mutation"), *(kwargs.get("types") or ())]
        )
        super().__init__(*args, **kwargs)
        # A broken policy declaration stops the application here, naming the field.
        check_declarations(self._schema)

    def process_errors(self, errors: list[Any], execution_context: Any = None) -> None:
        """Expected errors (bad input, not found, limits) are answers, not incidents;
        unexpected ones are logged, with the request id, by MaskUnexpectedErrors."""


def build_schema(
    *,
    extensions: list[Any] | None = None,
    field_suggestions: bool = True,
    **kwargs: Any,
) -> strawberry.Schema:
    query = merge_types("Query", _roots("Query"))
    mutation_roots = _roots("Mutation")
    mutation = merge_types("Mutation", mutation_roots) if mutation_roots else None
    return LedgerlineSchema(
        query=query,
        mutation=mutation,
        types=[
            contacts.Contact,
            companies.Company,
            deals.Deal,
            activities.Activity,
            members.Member,
        ],
        extensions=extensions or [],
        execution_context_class=kwargs.pop("execution_context_class", FastExecutionContext),
        config=StrawberryConfig(disable_field_suggestions=not field_suggestions),
        schema_directives=[directives.TenantScoped, directives.Requires, directives.Pii],
        **kwargs,
    )
