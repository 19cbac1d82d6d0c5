"""Audit queries: who accessed a contact's personal data, when, why and what they saw.

Policy section 8 (audit) and section 9 (the person's right of access includes who
their data was disclosed to). Entries name categories and purposes, never values, so
every field is plain; the query itself needs AUDIT_READ (admins and owners).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from auth.permissions import Permission as P
from core.context import RequestContext
from resolvers import audit as resolve
from schema.directives import Requires, TenantScoped
from schema.policy import guarded_field, plain_field

if TYPE_CHECKING:
    from schema.types.members import Member

MemberRef = Annotated["Member", strawberry.lazy("schema.types.members")]


@strawberry.type(
    description="One request that read (or was refused) personal data of a contact.",
    directives=[TenantScoped(), Requires(permission=P.AUDIT_READ)],
)
class PersonalDataAccessEntry:
    occurred_at: datetime = plain_field("When the request ran.")
    actor: MemberRef | None = plain_field(
        "The member who made the request; null once they have left the tenant."
    )
    purposes: list[str] = plain_field("The purposes the request acted under.")
    categories_shown: list[str] = plain_field(
        "Data categories shown in full or masked (names only, never values)."
    )
    categories_redacted: list[str] = plain_field(
        "Data categories asked for but redacted (names only)."
    )
    request_id: str | None = plain_field("The request id, to match server and usage logs.")


@strawberry.type
class Query:
    @guarded_field(
        permission=P.AUDIT_READ,
        description="Who accessed this contact's personal data, newest first.",
    )
    async def personal_data_access(
        self,
        info: strawberry.Info[RequestContext, None],
        contact: strawberry.ID,
        first: int | None = 50,
    ) -> list[PersonalDataAccessEntry]:
        limit = 50 if first is None else first
        return await resolve.personal_data_access(info.context, contact, limit)  # type: ignore[return-value]
