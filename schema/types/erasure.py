"""Legal holds, erasure records and suppressions as the API shows them (policy sections
5 and 9; issue 10). Every field is plain: ids, kinds, times and the stated reasons of
legal matters, never personal data. Privacy admins only."""

from __future__ import annotations

from datetime import datetime

import strawberry

from auth.permissions import Permission as P
from privacy.erasure import Outcome
from resolvers.legal_holds import HoldScope
from schema.directives import Requires, TenantScoped
from schema.policy import plain_field

ADMIN_ONLY = [TenantScoped(), Requires(permission=P.PRIVACY_ADMIN)]


strawberry.enum(HoldScope, name="LegalHoldScope", description="What a legal hold covers.")
strawberry.enum(Outcome, name="ErasureOutcome", description="How an erasure ended.")


@strawberry.type(
    description="A legal hold: while active, no deletion path (erasure, delete, purge, "
    "offboarding) removes what it covers.",
    directives=ADMIN_ONLY,
)
class LegalHold:
    gid: strawberry.ID = plain_field("Opaque global id of the hold.", name="id")
    scope: HoldScope = plain_field("A contact, a company or the whole workspace.")
    contact: strawberry.ID | None = plain_field("The contact held.", name="contactId")
    company: strawberry.ID | None = plain_field("The company held.", name="companyId")
    reason: str = plain_field("The legal ground (no personal data).")
    reference: str | None = plain_field("The legal matter's own reference.")
    placed_by: strawberry.ID | None = plain_field("The member (Member id) who placed it.")
    placed_at: datetime = plain_field("When it was placed.")
    released_at: datetime | None = plain_field("When it was released; null while active.")
    released_by: strawberry.ID | None = plain_field("The member who released it.")
    active: bool = plain_field("True until released.")


@strawberry.type(description="The hold's state after the change.")
class LegalHoldPayload:
    hold: LegalHold = plain_field("The hold.")


@strawberry.type(
    description="An exception applied to an erasure: what was kept and why, or what blocked it.",
    directives=ADMIN_ONLY,
)
class ErasureException:
    kind: str = plain_field(
        "legal_hold (blocked the erasure), bookkeeping, accountability or suppression."
    )
    reason: str = plain_field("The stated reason.")
    hold: strawberry.ID | None = plain_field("The legal hold, for legal_hold.")


@strawberry.type(
    description="Proof of an erasure, or of the exception that blocked it. Holds no personal data.",
    directives=ADMIN_ONLY,
)
class ErasureRecord:
    gid: strawberry.ID = plain_field("Opaque global id of the record.", name="id")
    contact: strawberry.ID = plain_field("The contact (now an anonymous shell).", name="contactId")
    request: strawberry.ID | None = plain_field(
        "The privacy request it answers, if any.", name="requestId"
    )
    outcome: Outcome = plain_field("Erased, or blocked by an exception.")
    categories: list[str] = plain_field("The personal-data categories erased.")
    exceptions: list[ErasureException] = plain_field("The exceptions that applied.")
    recorded_by: strawberry.ID | None = plain_field("The member (Member id) who erased.")
    recorded_at: datetime = plain_field("When.")


@strawberry.type(description="A suppression lifted on the person's own new request.")
class LiftSuppressionPayload:
    contact: strawberry.ID = plain_field("The erased contact whose suppression was lifted.")
    entries: int = plain_field("How many suppressed values (email, phone) were lifted.")
