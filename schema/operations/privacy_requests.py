"""Privacy requests (policy sections 9 and 13; issue 10): admins log and handle them,
account holders file their own, and anyone may submit one through the public intake
and verify it with the link mailed to them. Resolvers in resolvers/privacy_requests.py."""

from __future__ import annotations

from datetime import datetime

import strawberry

from auth.permissions import Permission as P
from privacy.deadlines import Jurisdiction
from privacy.request_rules import (
    Channel,
    Requester,
    RequestKind,
    RequestStatus,
    VerificationMethod,
)
from resolvers import privacy_requests as resolve
from schema.operations.contacts import UpdateContactInput
from schema.operations.inputs import present
from schema.policy import guarded_field
from schema.types.privacy_requests import (
    ConfirmPrivacyRequestPayload,
    OwnPrivacyRequest,
    OwnPrivacyRequestPayload,
    PrivacyRequest,
    PrivacyRequestPayload,
    SubmitPrivacyRequestPayload,
)


@strawberry.input(description="A contact's privacy request received outside the app.")
class LogPrivacyRequestInput:
    contact: strawberry.ID = strawberry.field(description="The contact the request is about.")
    kind: RequestKind = strawberry.field(description="The right exercised.")
    channel: Channel = strawberry.field(description="How the request reached you.")
    jurisdiction: Jurisdiction = strawberry.field(
        default=Jurisdiction.GDPR, description="The law whose deadlines apply (default gdpr)."
    )
    requester: Requester = strawberry.field(
        default=Requester.DATA_SUBJECT, description="Who made the request."
    )
    received_at: datetime | None = strawberry.field(
        default=None,
        description="When it was received, with its UTC offset (default: now; never in the "
        "future). The deadlines run from here.",
    )
    time_zone: str | None = strawberry.field(
        default=None,
        description="The IANA time zone the deadlines are counted in (default UTC).",
    )


@strawberry.input(
    description="A privacy request from someone without an account (the public intake)."
)
class SubmitPrivacyRequestInput:
    tenant: str = strawberry.field(
        description="The organisation the request is for: its Ledgerline slug (as the "
        "organisation publishes it, e.g. on its website) or its id."
    )
    kind: RequestKind = strawberry.field(description="The right you exercise.")
    email: str = strawberry.field(
        description="Your email address: the link that verifies the request goes there."
    )
    name: str | None = strawberry.field(default=None, description="Your name (optional).")
    details: str | None = strawberry.field(
        default=None, description="Anything the organisation should know (optional)."
    )
    jurisdiction: Jurisdiction = strawberry.field(
        default=Jurisdiction.GDPR, description="The law whose deadlines apply (default gdpr)."
    )


def _payload(filed: resolve.Filed) -> PrivacyRequestPayload:
    return PrivacyRequestPayload(
        request=filed.row,  # type: ignore[arg-type]
        duplicate_of=strawberry.ID(filed.duplicate_of) if filed.duplicate_of else None,
    )


def _changed(row: resolve.PrivacyRequestRow) -> PrivacyRequestPayload:
    return PrivacyRequestPayload(request=row, duplicate_of=None)  # type: ignore[arg-type]


@strawberry.type
class Query:
    @guarded_field(
        permission=P.PRIVACY_ADMIN,
        description="Privacy requests of your tenant, optionally of one status. With "
        "overdueFirst (the default), open requests come first by due date, so the overdue "
        "ones lead; then closed ones, newest first. Otherwise newest first.",
    )
    async def privacy_requests(
        self,
        info: strawberry.Info,
        status: RequestStatus | None = None,
        overdue_first: bool = True,
    ) -> list[PrivacyRequest]:
        return await resolve.list_requests(info.context, status, overdue_first)  # type: ignore[return-value]

    @guarded_field(permission=P.PRIVACY_ADMIN, description="One privacy request.")
    async def privacy_request(self, info: strawberry.Info, id: strawberry.ID) -> PrivacyRequest:
        return await resolve.get_request(info.context, id)  # type: ignore[return-value]

    @guarded_field(
        permission=P.MEMBERS_READ,
        description="Your own privacy requests about your account, newest first.",
    )
    async def my_privacy_requests(self, info: strawberry.Info) -> list[OwnPrivacyRequest]:
        return await resolve.own_requests(info.context)  # type: ignore[return-value]


@strawberry.type
class Mutation:
    @guarded_field(
        permission=P.PRIVACY_ADMIN,
        description="Log a contact's privacy request received by mail, phone, email or a "
        "form; its due date follows from the jurisdiction. While the contact has an open "
        "request of the same kind, that one is answered (with duplicateOf) and counted "
        "as repeated, not recorded twice.",
    )
    async def log_privacy_request(
        self, info: strawberry.Info, input: LogPrivacyRequestInput
    ) -> PrivacyRequestPayload:
        data = resolve.LogRequestData(
            contact=input.contact,
            kind=input.kind,
            channel=input.channel,
            jurisdiction=input.jurisdiction,
            requester=input.requester,
            received_at=input.received_at,
            time_zone=input.time_zone,
        )
        return _payload(await resolve.log_request(info.context, data))

    @guarded_field(
        permission=P.MEMBERS_READ,
        description="File a privacy request about your own account (your identity is "
        "verified by your sign-in). While you have an open request of the same kind, that "
        "one is answered (with duplicateOf).",
    )
    async def file_privacy_request(
        self,
        info: strawberry.Info,
        kind: RequestKind,
        jurisdiction: Jurisdiction = Jurisdiction.GDPR,
    ) -> OwnPrivacyRequestPayload:
        filed = await resolve.file_own_request(info.context, kind, jurisdiction)
        return OwnPrivacyRequestPayload(
            request=filed.row,  # type: ignore[arg-type]
            duplicate_of=strawberry.ID(filed.duplicate_of) if filed.duplicate_of else None,
        )

    @guarded_field(
        permission=P.PRIVACY_ADMIN,
        description="Record that the requester's identity is verified, and how.",
    )
    async def verify_privacy_request(
        self, info: strawberry.Info, request: strawberry.ID, method: VerificationMethod
    ) -> PrivacyRequestPayload:
        return _changed(await resolve.verify(info.context, request, method))

    @guarded_field(
        permission=P.PRIVACY_ADMIN,
        description="Start work on a verified request (IDENTITY_NOT_VERIFIED otherwise).",
    )
    async def start_privacy_request(
        self, info: strawberry.Info, request: strawberry.ID
    ) -> PrivacyRequestPayload:
        return _changed(await resolve.start(info.context, request))

    @guarded_field(
        permission=P.PRIVACY_ADMIN,
        description="Extend the deadline once, with a reason, on or before the due date "
        "(GDPR: two further months; CCPA: 45 more days). A second extension, or one after "
        "the due date, answers EXTENSION_REFUSED.",
    )
    async def extend_privacy_request(
        self, info: strawberry.Info, request: strawberry.ID, reason: str
    ) -> PrivacyRequestPayload:
        return _changed(await resolve.extend(info.context, request, reason))

    @guarded_field(
        permission=P.PRIVACY_ADMIN,
        description="Complete a verified request, with evidence of what was done (no "
        "personal data).",
    )
    async def complete_privacy_request(
        self, info: strawberry.Info, request: strawberry.ID, evidence: str
    ) -> PrivacyRequestPayload:
        return _changed(await resolve.complete(info.context, request, evidence))

    @guarded_field(
        permission=P.PRIVACY_ADMIN,
        description="Apply a verified rectification request about a contact: correct the "
        "personal-data fields given in `changes` (other fields are refused), audited by "
        "category and never by value, and complete the request with `evidence` of what "
        "was done (no personal data).",
    )
    async def apply_rectification(
        self,
        info: strawberry.Info,
        request: strawberry.ID,
        changes: UpdateContactInput,
        evidence: str,
    ) -> PrivacyRequestPayload:
        return _changed(await resolve.rectify(info.context, request, present(changes), evidence))

    @guarded_field(
        permission=P.PRIVACY_ADMIN,
        description="Refuse a request, with the reason (no personal data).",
    )
    async def refuse_privacy_request(
        self, info: strawberry.Info, request: strawberry.ID, reason: str
    ) -> PrivacyRequestPayload:
        return _changed(await resolve.refuse(info.context, request, reason))

    @strawberry.mutation(
        description="Public (no sign-in): submit a privacy request to an organisation. It "
        "is recorded unverified, and a single-use link (valid 72 hours) is mailed to the "
        "address given; opening it verifies the request (confirmPrivacyRequest). The "
        "answer is the same whether or not the organisation or the person is known and "
        "whether or not a request is already open. Rate limited."
    )
    async def submit_privacy_request(
        self, info: strawberry.Info, input: SubmitPrivacyRequestInput
    ) -> SubmitPrivacyRequestPayload:
        data = resolve.IntakeData(
            tenant=input.tenant,
            kind=input.kind,
            email=input.email,
            name=input.name,
            details=input.details,
            jurisdiction=input.jurisdiction,
        )
        message = await resolve.submit_request(info.context, data)
        return SubmitPrivacyRequestPayload(ok=True, message=message)

    @strawberry.mutation(
        description="Public (no sign-in): confirm (verify) a privacy request with the "
        "token from its mail. An expired, used or unknown token answers "
        "PRIVACY_REQUEST_LINK_INVALID. Rate limited."
    )
    async def confirm_privacy_request(
        self, info: strawberry.Info, token: str
    ) -> ConfirmPrivacyRequestPayload:
        message = await resolve.verify_by_link(info.context, token)
        return ConfirmPrivacyRequestPayload(ok=True, message=message)
