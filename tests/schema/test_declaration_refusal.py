"""A broken policy declaration stops the application from starting (issue 9), with a
message naming the field, the way strawberry's `PermissionExtension.apply()` refuses a
bad permission when the schema is built."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry

from auth.permissions import Permission as P
from privacy.categories import DataCategory as C
from schema import build
from schema.build import LedgerlineSchema, build_schema
from schema.directives import TenantScoped
from schema.invariants import PolicyDeclarationError, declaration_problems
from schema.policy import Batch, guarded_field, pii_field, plain_field


@strawberry.type(directives=[TenantScoped()])
class Leaky:
    name: str = plain_field("Declared.")
    secret: str


@strawberry.type(directives=[TenantScoped()])
class Strict:
    email: str = pii_field(
        category=C.EMAIL, permission=P.CONTACTS_READ_PII, source="email", description="x"
    )


@strawberry.type(directives=[TenantScoped()])
class Parent:
    @guarded_field(
        permission=P.CONTACTS_READ,
        description="Declared as many, returns one.",
        batch=Batch(many=True, key="id", loader=lambda ctx, args: None),
    )
    def child(self) -> Parent | None:
        return None


@strawberry.type
class Query:
    @strawberry.field
    def ok(self) -> bool:
        return True


@strawberry.type
class UndeclaredQuery:
    @strawberry.field
    def leaky(self) -> Leaky | None:
        return None


def test_the_real_schema_has_no_declaration_problem() -> None:
    assert declaration_problems(build_schema()._schema) == []


def test_a_tenant_field_without_a_policy_is_refused_by_name() -> None:
    with pytest.raises(PolicyDeclarationError, match=r"Leaky\.secret declares no policy"):
        LedgerlineSchema(query=Query, types=[Leaky])


def test_a_non_null_personal_data_field_is_refused_by_name() -> None:
    with pytest.raises(PolicyDeclarationError, match=r"Strict\.email is personal data"):
        LedgerlineSchema(query=Query, types=[Strict])


def test_a_batch_that_does_not_match_its_field_is_refused_by_name() -> None:
    with pytest.raises(PolicyDeclarationError, match=r"Parent\.child declares a batch of a list"):
        LedgerlineSchema(query=Query, types=[Parent])


def test_a_declaration_error_stops_the_app(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from server.app import create_app

    real_roots = build._roots

    def roots(attr: str) -> tuple[type, ...]:
        found = real_roots(attr)
        return (*found, UndeclaredQuery) if attr == "Query" else found

    monkeypatch.setattr(build, "_roots", roots)
    with pytest.raises(PolicyDeclarationError, match=r"Leaky\.secret"):
        create_app(settings, migrate=False)
