"""Schema directives that make each field's policy visible in the printed SDL.

They are declarations for readers (SDL, GraphiQL, reviewers of schema.graphql);
enforcement is attached to the same fields by schema/policy.py.
"""

from __future__ import annotations

import strawberry
from strawberry.schema_directive import Location

from auth.permissions import Permission
from privacy.categories import DataCategory
from privacy.masking import MaskStrategy
from privacy.purposes import LawfulBasis, Purpose

PermissionEnum = strawberry.enum(Permission, name="Permission")
DataCategoryEnum = strawberry.enum(DataCategory, name="DataCategory")
MaskStrategyEnum = strawberry.enum(MaskStrategy, name="MaskStrategy")
# Registered here, once, because this module is imported before any type uses them.
PurposeEnum = strawberry.enum(Purpose, name="Purpose", description="Why data is processed.")
LawfulBasisEnum = strawberry.enum(LawfulBasis, name="LawfulBasis")


@strawberry.schema_directive(
    locations=[Location.OBJECT],
    name="tenantScoped",
    description="Rows of this type belong to one tenant and are never visible to another.",
)
class TenantScoped:
    by: str = "tenant_id"


@strawberry.schema_directive(
    locations=[Location.OBJECT, Location.FIELD_DEFINITION],
    name="requires",
    description="The caller's role must hold this permission to read the field or type "
    "(repeated: every one of them).",
    repeatable=True,
)
class Requires:
    permission: Permission


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="pii",
    description=(
        "Personal data of this category: shown only with the permission, a lawful basis "
        "for one of the caller's purposes, and no restriction, objection or erasure."
    ),
)
class Pii:
    category: DataCategory
    mask: MaskStrategy | None = None
    mask_permission: Permission | None = None
