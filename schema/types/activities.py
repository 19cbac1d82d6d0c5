"""Activities: notes, calls, emails, meetings and tasks. The body is personal data about
the person it was written about (recorded once, see models/activities.py), decided
against that person's consent and processing state whatever the activity is linked to
now."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types.base import get_object_definition

from auth.permissions import Permission as P
from core.context import RequestContext
from privacy.categories import DataCategory as C
from privacy.consent import ERASED_TEXT
from privacy.decision import FieldPolicy
from privacy.render import PiiSpec
from resolvers.loaders import to_one
from resolvers.rows import ActivityRow
from schema.directives import Requires, TenantScoped
from schema.policy import (
    POLICY_KEY,
    guarded_field,
    load_related,
    pii_field,
    plain_field,
    sealed_field,
)
from schema.types.closed_sets import ActivityKind
from schema.types.node import Node

if TYPE_CHECKING:
    from schema.types.companies import Company
    from schema.types.contacts import Contact
    from schema.types.deals import Deal
    from schema.types.members import Member

CONTACT = to_one("contact_by_id", "contact_id")
COMPANY = to_one("company_by_id", "company_id")
DEAL = to_one("deal_by_id", "deal_id")


ContactRef = Annotated["Contact", strawberry.lazy("schema.types.contacts")]
CompanyRef = Annotated["Company", strawberry.lazy("schema.types.companies")]
DealRef = Annotated["Deal", strawberry.lazy("schema.types.deals")]
MemberRef = Annotated["Member", strawberry.lazy("schema.types.members")]


@strawberry.type(
    description="Something that happened or is planned: a note, call, email, meeting or task.",
    directives=[TenantScoped(), Requires(permission=P.ACTIVITIES_READ)],
)
class Activity(Node):
    kind: ActivityKind = plain_field("What the activity is.")
    subject: str = sealed_field(
        "Short subject line (keep personal details in the body).",
        source="subject_enc",
        empty=ERASED_TEXT,
    )
    body: str | None = pii_field(
        category=C.NOTES,
        permission=P.ACTIVITIES_READ_CONTENT,
        source="body_enc",
        decode="text",
        description="Free text about the person it was written about (the contact it was "
        "first linked to, directly or through its deal); re-linking never changes that.",
    )
    due_at: datetime | None = plain_field("When a task or meeting is due.")
    done: bool = plain_field("Whether a task is done.")
    created_at: datetime = plain_field("When the activity was created.")
    updated_at: datetime = plain_field("When the activity last changed.")

    @guarded_field(
        permission=P.CONTACTS_READ, description="The contact it is about.", batch=CONTACT
    )
    async def contact(
        self, root: strawberry.Parent[Any], info: strawberry.Info[RequestContext, None]
    ) -> ContactRef | None:
        return await load_related(CONTACT, info, root)

    @guarded_field(
        permission=P.COMPANIES_READ, description="The company it is about.", batch=COMPANY
    )
    async def company(
        self, root: strawberry.Parent[Any], info: strawberry.Info[RequestContext, None]
    ) -> CompanyRef | None:
        return await load_related(COMPANY, info, root)

    @guarded_field(permission=P.DEALS_READ, description="The deal it is about.", batch=DEAL)
    async def deal(
        self, root: strawberry.Parent[Any], info: strawberry.Info[RequestContext, None]
    ) -> DealRef | None:
        return await load_related(DEAL, info, root)

    @guarded_field(permission=P.MEMBERS_READ, description="Who wrote or logged it.")
    async def author(
        self, root: strawberry.Parent[Any], info: strawberry.Info[RequestContext, None]
    ) -> MemberRef | None:
        from resolvers.contacts import member

        return await member(info, root.author_id)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, ActivityRow)


def body_policy() -> FieldPolicy:
    """The declared policy of `Activity.body` (re-linking is decided against it)."""
    field = get_object_definition(Activity, strict=True).get_field("body")
    assert field is not None
    spec = field.metadata[POLICY_KEY]
    assert isinstance(spec, PiiSpec)
    return spec.policy
