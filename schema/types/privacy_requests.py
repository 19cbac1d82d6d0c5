"""Privacy requests (policy sections 9 and 13; issue 10): a data subject's exercise of a
right, its identity check, its status and its legal deadline.

Every field is plain: a request names its subject by opaque id, and its reasons and
completion evidence describe what was done, never personal data. Admins see whole
requests (PRIVACY_ADMIN); an account holder sees their own requests' progress
(`OwnPrivacyRequest`, which every member may read about themselves).
"""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from auth.permissions import Permission as P
from core.context import RequestContext
from privacy.deadlines import Jurisdiction
from privacy.request_rules import (
    Channel,
    Requester,
    RequestKind,
    RequestStatus,
    Verification,
    VerificationMethod,
)
from resolvers.erasure import records_for
from schema.directives import Requires, TenantScoped
from schema.policy import guarded_field, plain_field
from schema.types.erasure import ErasureRecord

# Each call declares the GraphQL enum on the Python enum itself (strawberry.enum returns
# it), so fields are annotated with the Python enums.
strawberry.enum(
    RequestKind,
    name="PrivacyRequestKind",
    description="The right the person exercises (policy section 9).",
)
strawberry.enum(
    RequestStatus,
    name="PrivacyRequestStatus",
    description="received, verified, in progress, extended (once), completed or refused; "
    "the last two are closed.",
)
strawberry.enum(Channel, name="PrivacyRequestChannel", description="How the request reached you.")
strawberry.enum(
    Requester,
    name="PrivacyRequester",
    description="Who made the request: the person themselves or an agent they authorised.",
)
strawberry.enum(
    Jurisdiction,
    name="PrivacyJurisdiction",
    description="The law whose deadlines apply: gdpr (one calendar month, +2 months once) "
    "or ccpa (45 days, +45 once, acknowledged within 10 business days).",
)
strawberry.enum(
    Verification, name="IdentityVerification", description="Whether the identity is verified."
)
strawberry.enum(
    VerificationMethod,
    name="IdentityVerificationMethod",
    description="How the requester's identity was verified.",
)


@strawberry.type(
    description="A data subject's request to exercise a right, with its legal deadline. "
    "Dates are calendar days in the request's time zone.",
    directives=[TenantScoped(), Requires(permission=P.PRIVACY_ADMIN)],
)
class PrivacyRequest:
    gid: strawberry.ID = plain_field("Opaque global id of the request.", name="id")
    kind: RequestKind = plain_field("The right exercised.")
    contact: strawberry.ID | None = plain_field(
        "The contact the request is about (null for an account holder's own request).",
        name="contactId",
    )
    account: strawberry.ID | None = plain_field(
        "The account holder (Member id) filing about their own account; null for a contact.",
        name="accountId",
    )
    requester: Requester = plain_field("Who made the request.")
    channel: Channel = plain_field("How it was received.")
    jurisdiction: Jurisdiction = plain_field("The law whose deadlines apply.")
    received_at: datetime = plain_field("When it was received; the deadlines run from here.")
    time_zone: str = plain_field("The IANA time zone the deadlines are counted in.")
    verification: Verification = plain_field("Whether the identity is verified.")
    verification_method: VerificationMethod | None = plain_field("How the identity was verified.")
    verified_by: strawberry.ID | None = plain_field(
        "The member (Member id) who verified the identity."
    )
    verified_at: datetime | None = plain_field("When the identity was verified.")
    status: RequestStatus = plain_field("Where the request stands.")
    due_on: date = plain_field("The last day on which the answer is on time.")
    acknowledge_by: date | None = plain_field(
        "CCPA: the last day to confirm receipt (10 business days); null under GDPR."
    )
    days_remaining: int | None = plain_field(
        "Days from today to the due date: 0 on the due date, negative when overdue, null "
        "once closed."
    )
    overdue: bool = plain_field("True while open past its due date.")
    extended_at: datetime | None = plain_field("When the one extension was recorded.")
    extension_reason: str | None = plain_field("Why it was extended (no personal data).")
    started_at: datetime | None = plain_field("When work on it started.")
    completed_at: datetime | None = plain_field("When it was completed.")
    completion_evidence: str | None = plain_field(
        "What was done, as evidence of completion (no personal data)."
    )
    refused_at: datetime | None = plain_field("When it was refused.")
    refusal_reason: str | None = plain_field("Why it was refused (no personal data).")
    repeats: int = plain_field(
        "How often the same subject asked for the same right again while it was open."
    )
    created_at: datetime = plain_field("When it was recorded.")

    @guarded_field(
        permission=P.PRIVACY_ADMIN,
        description="For an erasure request: what was erased, or the exception (a legal "
        "hold, with its stated reason) that blocked it; newest first.",
    )
    async def erasure_records(
        self, info: strawberry.Info[RequestContext, None]
    ) -> list[ErasureRecord]:
        request_id = self.id  # type: ignore[attr-defined]  # the root is a PrivacyRequestRow
        rows = await records_for(info.context, request_id=request_id, any_request=False)
        return rows  # type: ignore[return-value]


@strawberry.type(
    description="Your own privacy request about your account, and how far it has come.",
    directives=[TenantScoped(), Requires(permission=P.MEMBERS_READ)],
)
class OwnPrivacyRequest:
    gid: strawberry.ID = plain_field("Opaque global id of the request.", name="id")
    kind: RequestKind = plain_field("The right you exercise.")
    jurisdiction: Jurisdiction = plain_field("The law whose deadlines apply.")
    status: RequestStatus = plain_field("Where your request stands.")
    received_at: datetime = plain_field("When it was received.")
    due_on: date = plain_field("The last day on which the answer is on time.")
    days_remaining: int | None = plain_field(
        "Days left until the due date (negative when late); null once closed."
    )
    refusal_reason: str | None = plain_field("Why it was refused, if it was.")


@strawberry.type(description="The request after the change.")
class PrivacyRequestPayload:
    request: PrivacyRequest = plain_field("The request.")
    duplicate_of: strawberry.ID | None = plain_field(
        "Set when the same subject already had an open request of the same kind: the "
        "answer is that open request (its id), and no second one was recorded."
    )


@strawberry.type(description="Your request as recorded.")
class OwnPrivacyRequestPayload:
    request: OwnPrivacyRequest = plain_field("Your request.")
    duplicate_of: strawberry.ID | None = plain_field(
        "Set when you already had an open request of the same kind: the answer is that "
        "request (its id), and no second one was recorded."
    )


@strawberry.type(
    description="The answer of the public privacy-request intake: the same in every case."
)
class SubmitPrivacyRequestPayload:
    ok: bool = plain_field("Always true once the input passed validation.")
    message: str = plain_field(
        "What happens next; the same text whether or not the organisation or the person "
        "is known, and whether or not a request is already open."
    )


@strawberry.type(description="A privacy request verified with the link from its mail.")
class ConfirmPrivacyRequestPayload:
    ok: bool = plain_field("True: the request is verified.")
    message: str = plain_field("What happens next.")
