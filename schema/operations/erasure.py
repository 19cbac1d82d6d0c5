"""Erasure (policy section 9; issue 10): carry out an erasure request, read the erasure
records, lift a suppression. eraseContact (schema/operations/contacts.py) and the
retention purge of a deleted contact (privacy/retention/) erase through the same
privacy/erasure.py. Resolvers in resolvers/erasure.py."""

from __future__ import annotations

import strawberry

from auth.permissions import Permission as P
from resolvers import erasure as resolve
from schema.policy import guarded_field
from schema.types.erasure import ErasureRecord, LiftSuppressionPayload


@strawberry.type
class Query:
    @guarded_field(
        permission=P.PRIVACY_ADMIN,
        description="Erasure records (newest first) of one contact and/or one privacy "
        "request: what was erased, when, by whom, under which request, and the exceptions "
        "applied, including a legal hold that blocked it.",
    )
    async def erasure_records(
        self,
        info: strawberry.Info,
        contact: strawberry.ID | None = None,
        request: strawberry.ID | None = None,
    ) -> list[ErasureRecord]:
        return await resolve.records(info.context, contact, request)  # type: ignore[return-value]


@strawberry.type
class Mutation:
    @guarded_field(
        permission=P.PRIVACY_ADMIN,
        description="Carry out a verified erasure request about a contact: the person is "
        "erased (once; again answers the first record) and the request completed with the "
        "record as evidence. Under a legal hold nothing is erased: the answer is a record "
        "with outcome BLOCKED stating the hold's reason, and the request stays open.",
    )
    async def erase_for_privacy_request(
        self, info: strawberry.Info, request: strawberry.ID
    ) -> ErasureRecord:
        return await resolve.erase_for_request(info.context, request)  # type: ignore[return-value]

    @guarded_field(
        permission=P.PRIVACY_ADMIN,
        description="Lift the suppression of an erased person on their own new request "
        "(verified, received after the erasure, about the erased contact or from the "
        "suppressed address); they may then be added again.",
    )
    async def lift_suppression(
        self, info: strawberry.Info, request: strawberry.ID
    ) -> LiftSuppressionPayload:
        lifted = await resolve.lift_suppression(info.context, request)
        return LiftSuppressionPayload(contact=strawberry.ID(lifted.contact), entries=lifted.entries)
