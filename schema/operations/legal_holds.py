"""Legal holds (policy sections 5 and 9): place, release and list them. Resolvers in
resolvers/legal_holds.py; every deletion path asks privacy/holds.py."""

from __future__ import annotations

import strawberry

from auth.permissions import Permission as P
from resolvers import legal_holds as resolve
from schema.policy import guarded_field
from schema.types.erasure import LegalHold, LegalHoldPayload


@strawberry.type
class Query:
    @guarded_field(
        permission=P.PRIVACY_ADMIN,
        description="Legal holds of your workspace, newest first; only active ones unless "
        "activeOnly is false.",
    )
    async def legal_holds(self, info: strawberry.Info, active_only: bool = True) -> list[LegalHold]:
        return await resolve.holds(info.context, active_only)  # type: ignore[return-value]


@strawberry.type
class Mutation:
    @guarded_field(
        permission=P.PRIVACY_ADMIN,
        description="Place a legal hold on one contact, one company, or (neither given) the "
        "whole workspace, with the legal ground (no personal data) and the matter's "
        "reference. While active, erasure, deletion, the purge and offboarding answer "
        "LEGAL_HOLD.",
    )
    async def place_legal_hold(
        self,
        info: strawberry.Info,
        reason: str,
        contact: strawberry.ID | None = None,
        company: strawberry.ID | None = None,
        reference: str | None = None,
    ) -> LegalHoldPayload:
        row = await resolve.place(
            info.context, contact=contact, company=company, reason=reason, reference=reference
        )
        return LegalHoldPayload(hold=row)  # type: ignore[arg-type]

    @guarded_field(
        permission=P.PRIVACY_ADMIN,
        description="Release a legal hold (it stays on record). CONFLICT if already released.",
    )
    async def release_legal_hold(
        self, info: strawberry.Info, hold: strawberry.ID
    ) -> LegalHoldPayload:
        return LegalHoldPayload(hold=await resolve.release(info.context, hold))  # type: ignore[arg-type]
