"""Minors (policy section 10): report a contact or a member as under 18, delete a
minor's data at once, resolve a member's report. privacy/minors.py holds the rules."""

from __future__ import annotations

import strawberry

from auth.permissions import Permission as P
from core.context import RequestContext
from privacy.minors import DELETION_DEADLINE
from resolvers import minors as resolve
from schema.operations.accounts import MemberPayload
from schema.operations.contacts import ContactPayload
from schema.policy import guarded_field

_DAYS = DELETION_DEADLINE.days


@strawberry.type
class Mutation:
    @guarded_field(
        permission=P.CONTACTS_READ,
        description="Report a contact as under 18 (any member may): their personal data "
        f"is erased within {_DAYS} days (a contact whose date of birth shows an age under "
        "18 is flagged the same way when it is written). Audited without personal data.",
    )
    async def report_minor(
        self, info: strawberry.Info[RequestContext, None], contact: strawberry.ID
    ) -> ContactPayload:
        return ContactPayload(contact=await resolve.report_minor(info.context, contact))  # type: ignore[arg-type]

    @guarded_field(
        permission=P.PRIVACY_ADMIN,
        description="Erase a minor's personal data now (flagging them first if needed); "
        "the record stays as an anonymous shell. LEGAL_HOLD under a legal hold.",
    )
    async def delete_minor_data(
        self, info: strawberry.Info[RequestContext, None], contact: strawberry.ID
    ) -> ContactPayload:
        return ContactPayload(contact=await resolve.delete_minor_data(info.context, contact))  # type: ignore[arg-type]

    @guarded_field(
        permission=P.MEMBERS_MANAGE,
        description="Report a member as under 18: they are suspended in this tenant (no "
        "sign-in, their tokens and sessions refused) until resolveMinorReport.",
    )
    async def report_minor_account(
        self, info: strawberry.Info[RequestContext, None], user: strawberry.ID
    ) -> MemberPayload:
        return MemberPayload(member=await resolve.report_minor_account(info.context, user))  # type: ignore[arg-type]

    @guarded_field(
        permission=P.MEMBERS_MANAGE,
        description="End a member's suspension once they are known to be an adult (a "
        "minor is removed with removeMember instead).",
    )
    async def resolve_minor_report(
        self, info: strawberry.Info[RequestContext, None], user: strawberry.ID
    ) -> MemberPayload:
        return MemberPayload(member=await resolve.resolve_minor_report(info.context, user))  # type: ignore[arg-type]
