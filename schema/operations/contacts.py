"""Queries and mutations for contacts, their consent and their processing state."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import strawberry

from auth.permissions import Permission as P
from core.context import RequestContext
from privacy.consent import ConsentRecord
from privacy.purposes import LawfulBasis, Purpose
from resolvers import consent as consent_resolvers
from resolvers import contacts as resolve
from resolvers.global_ids import encode_id
from resolvers.pagination import PageArgs
from resolvers.references import existing
from schema.operations.inputs import HOLD, DeletePayload, present
from schema.policy import guarded_field
from schema.types.closed_sets import LifecycleStage
from schema.types.contacts import Contact
from schema.types.pagination import Connection


@strawberry.enum(description="Non-personal columns a contact list can be ordered by.")
class ContactOrderField(enum.Enum):
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"


@strawberry.input
class ContactFilter:
    company: strawberry.ID | None = None
    lifecycle_stage: LifecycleStage | None = None
    owner: strawberry.ID | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    search: str | None = strawberry.field(
        default=None,
        description="Text in first or last name; needs full read access to names, and only "
        "matches people whose names your purposes may use.",
    )
    email: str | None = strawberry.field(
        default=None, description="Exact email (blind-index lookup); same rule as search."
    )
    include_erased: bool = True


@strawberry.input(
    description="A consent grant (granted=true) or its withdrawal. A grant needs `source` "
    "and `evidence`, and a role may not grant consent for a purpose it acts under itself "
    "(PRIVACY_ADMIN records those)."
)
class ConsentInput:
    purpose: Purpose
    granted: bool = True
    lawful_basis: LawfulBasis | None = None
    source: str | None = strawberry.field(
        default=None,
        description="Where the consent was given, e.g. the form or channel (required to grant).",
    )
    method: str | None = None
    policy_version: str | None = None
    evidence: str | None = strawberry.field(
        default=None,
        description="What proves it, e.g. the signed document or submission id (required "
        "to grant).",
    )

    def to_record(self) -> ConsentRecord:
        from resolvers.validation import text

        return ConsentRecord(
            purpose=self.purpose,
            status="granted" if self.granted else "withdrawn",
            lawful_basis=self.lawful_basis,
            source=text(self.source, "source", 100),
            method=text(self.method, "method", 32),
            policy_version=text(self.policy_version, "policyVersion", 32),
            evidence=text(self.evidence, "evidence", 2000),
        )


@strawberry.input(description="Changes to a contact: only the fields sent change.")
class UpdateContactInput:
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    job_title: str | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    country: str | None = strawberry.UNSET
    date_of_birth: date | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET
    lifecycle_stage: LifecycleStage | None = strawberry.UNSET
    source: str | None = strawberry.UNSET
    company: strawberry.ID | None = strawberry.UNSET
    owner: strawberry.ID | None = strawberry.UNSET


@strawberry.input(description="A new contact; every field may be left out.")
class CreateContactInput(UpdateContactInput):
    pass


@strawberry.type
class ContactPayload:
    contact: Contact


@strawberry.type
class Query:
    @guarded_field(permission=P.CONTACTS_READ, description="Contacts of your tenant, one page.")
    async def contacts(
        self,
        info: strawberry.Info[RequestContext, None],
        filter: ContactFilter | None = None,
        order_by: ContactOrderField = ContactOrderField.CREATED_AT,
        descending: bool = True,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Contact]:
        args = PageArgs(first, after, last, before)
        f = resolve.ContactFilterArgs(**present(filter)) if filter else None
        rows, page = await resolve.list_contacts(info.context, f, order_by.value, descending, args)
        return Connection(nodes=rows, _page=page)  # type: ignore[arg-type]  # rows (is_type_of)

    @guarded_field(permission=P.CONTACTS_READ, description="One contact by id.")
    async def contact(
        self, info: strawberry.Info[RequestContext, None], id: strawberry.ID
    ) -> Contact:
        return await existing(info.context, id, "Contact", "id")  # type: ignore[return-value]  # row (is_type_of)


def _payload(row: Any) -> ContactPayload:
    return ContactPayload(contact=row)


@strawberry.type
class Mutation:
    @guarded_field(permission=P.CONTACTS_WRITE, description="Create a contact.")
    async def create_contact(
        self,
        info: strawberry.Info[RequestContext, None],
        input: CreateContactInput,
        consents: list[ConsentInput] | None = None,
    ) -> ContactPayload:
        records = [consent_resolvers.checked(info.context, c.to_record()) for c in consents or []]
        return _payload(await resolve.create_contact(info.context, present(input), records))

    @guarded_field(permission=P.CONTACTS_WRITE, description="Change a contact's fields.")
    async def update_contact(
        self,
        info: strawberry.Info[RequestContext, None],
        id: strawberry.ID,
        input: UpdateContactInput,
    ) -> ContactPayload:
        return _payload(await resolve.update_contact(info.context, id, present(input)))

    @guarded_field(
        permission=P.CONTACTS_DELETE,
        description="Move a contact to the trash: hidden at once, restorable by an admin "
        "(`restore`) for the workspace's trash period, then erased by the purge (the "
        "anonymous shell keeps its deals, activities and history). Use eraseContact to "
        "erase at once." + HOLD,
    )
    async def delete_contact(
        self, info: strawberry.Info[RequestContext, None], id: strawberry.ID
    ) -> DeletePayload:
        deleted = await resolve.delete_contact(info.context, id)
        return DeletePayload(deleted_id=strawberry.ID(encode_id("Contact", deleted)))

    @guarded_field(
        permission=P.CONSENT_WRITE,
        description="Record consent (granted=true, with source and evidence; a purpose your "
        "role acts under needs PRIVACY_ADMIN) or its withdrawal (granted=false).",
    )
    async def record_consent(
        self,
        info: strawberry.Info[RequestContext, None],
        contact: strawberry.ID,
        consent: ConsentInput,
    ) -> ContactPayload:
        return _payload(await consent_resolvers.record(info.context, contact, consent.to_record()))

    @guarded_field(permission=P.CONSENT_WRITE, description="Withdraw consent for a purpose.")
    async def withdraw_consent(
        self, info: strawberry.Info[RequestContext, None], contact: strawberry.ID, purpose: Purpose,
        source: str | None = None,
    ) -> ContactPayload:  # fmt: skip
        record = ConsentRecord(purpose=purpose, status="withdrawn", source=source)
        return _payload(await consent_resolvers.record(info.context, contact, record))

    @guarded_field(
        permission=P.CONSENT_WRITE,
        description="Record the person's objection to a purpose (absolute for marketing).",
    )
    async def record_objection(
        self, info: strawberry.Info[RequestContext, None], contact: strawberry.ID, purpose: Purpose,
        source: str | None = None,
    ) -> ContactPayload:  # fmt: skip
        record = ConsentRecord(purpose=purpose, status="objected", source=source)
        return _payload(await consent_resolvers.record(info.context, contact, record))

    @guarded_field(
        permission=P.PRIVACY_ADMIN,
        description="The person withdrew an objection, by a privacy request: `evidence` names "
        "it (e.g. the request id or message).",
    )
    async def withdraw_objection(
        self, info: strawberry.Info[RequestContext, None], contact: strawberry.ID,
        purpose: Purpose, evidence: str, source: str | None = None,
    ) -> ContactPayload:  # fmt: skip
        from resolvers.validation import text

        record = ConsentRecord(
            purpose=purpose,
            status="objection_withdrawn",
            source=text(source, "source", 100),
            evidence=text(evidence, "evidence", 2000),
        )
        return _payload(await consent_resolvers.record(info.context, contact, record))

    @guarded_field(
        permission=P.PRIVACY_ADMIN,
        description="Restrict processing: data is kept but no longer shown or used.",
    )
    async def restrict_processing(
        self,
        info: strawberry.Info[RequestContext, None],
        contact: strawberry.ID,
        reason: str | None = None,
    ) -> ContactPayload:
        return _payload(await consent_resolvers.restrict(info.context, contact, reason))

    @guarded_field(
        permission=P.PRIVACY_ADMIN,
        description="Lift a restriction of processing. `reason` is required, and so is "
        "`personInformedAt`: the person must be told before the restriction is lifted "
        "(GDPR Art. 18(3)); both are kept in the processing history (BAD_USER_INPUT "
        "without them).",
    )
    async def lift_restriction(
        self,
        info: strawberry.Info[RequestContext, None],
        contact: strawberry.ID,
        reason: str | None = None,
        person_informed_at: datetime | None = None,
    ) -> ContactPayload:
        lifted = await consent_resolvers.lift_restriction(
            info.context, contact, reason, person_informed_at
        )
        return _payload(lifted)

    @guarded_field(
        permission=P.PRIVACY_ADMIN,
        description="Erase the person's personal data; the record stays as an anonymous shell.",
    )
    async def erase_contact(
        self,
        info: strawberry.Info[RequestContext, None],
        contact: strawberry.ID,
        reason: str | None = None,
    ) -> ContactPayload:
        return _payload(await consent_resolvers.erase(info.context, contact, reason))
