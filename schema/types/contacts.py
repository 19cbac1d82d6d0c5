"""Contacts: the data subjects. Every personal-data field is declared with `pii_field`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from auth.permissions import Permission as P
from core.context import RequestContext
from models import Activity as ActivityModel
from models import Deal as DealModel
from privacy.categories import DataCategory as C
from privacy.masking import MaskStrategy as M
from resolvers.loaders import to_many, to_one
from resolvers.rows import ActivityRow, ContactRow, DealRow
from schema.directives import Requires, TenantScoped
from schema.policy import guarded_field, load_related, pii_field, plain_field
from schema.types.closed_sets import LifecycleStage
from schema.types.node import Node

if TYPE_CHECKING:
    from schema.types.activities import Activity
    from schema.types.companies import Company
    from schema.types.consent import ConsentEventType, ConsentStateType
    from schema.types.deals import Deal
    from schema.types.members import Member

COMPANY = to_one("company_by_id", "company_id")
DEALS = to_many(DealRow, DealModel, DealModel.primary_contact_id)
ACTIVITIES = to_many(ActivityRow, ActivityModel, ActivityModel.contact_id)


CompanyRef = Annotated["Company", strawberry.lazy("schema.types.companies")]
DealRef = Annotated["Deal", strawberry.lazy("schema.types.deals")]
ActivityRef = Annotated["Activity", strawberry.lazy("schema.types.activities")]
MemberRef = Annotated["Member", strawberry.lazy("schema.types.members")]
ConsentEventRef = Annotated["ConsentEventType", strawberry.lazy("schema.types.consent")]
ConsentStateRef = Annotated["ConsentStateType", strawberry.lazy("schema.types.consent")]


@strawberry.type(
    description="A person the tenant keeps in its CRM: a data subject.",
    directives=[TenantScoped(), Requires(permission=P.CONTACTS_READ)],
)
class Contact(Node):
    first_name: str | None = pii_field(
        category=C.NAME, permission=P.CONTACTS_READ_PII, source="first_name",
        description="Given name.",
    )  # fmt: skip
    last_name: str | None = pii_field(
        category=C.NAME, permission=P.CONTACTS_READ_PII, source="last_name",
        mask=M.INITIAL, mask_permission=P.CONTACTS_READ_MASKED_PII, description="Family name.",
    )  # fmt: skip
    email: str | None = pii_field(
        category=C.EMAIL, permission=P.CONTACTS_READ_PII, source="email_enc", decode="text",
        mask=M.PARTIAL_EMAIL, mask_permission=P.CONTACTS_READ_MASKED_PII,
        description="Email address.",
    )  # fmt: skip
    phone: str | None = pii_field(
        category=C.PHONE, permission=P.CONTACTS_READ_PII, source="phone_enc", decode="text",
        mask=M.LAST_DIGITS, mask_permission=P.CONTACTS_READ_MASKED_PII,
        description="Phone number in E.164 form.",
    )  # fmt: skip
    job_title: str | None = pii_field(
        category=C.JOB, permission=P.CONTACTS_READ_PII, source="job_title_enc", decode="text",
        description="Job title.",
    )  # fmt: skip
    address: str | None = pii_field(
        category=C.POSTAL_ADDRESS, permission=P.CONTACTS_READ_PII, source="address_enc",
        decode="text", description="Street address.",
    )  # fmt: skip
    city: str | None = pii_field(
        category=C.POSTAL_ADDRESS, permission=P.CONTACTS_READ_PII, source="city_enc",
        decode="text",
        description="City.",
    )  # fmt: skip
    country: str | None = pii_field(
        category=C.POSTAL_ADDRESS, permission=P.CONTACTS_READ_PII, source="country_enc",
        decode="text",
        description="ISO 3166-1 alpha-2 country code.",
    )  # fmt: skip
    date_of_birth: str | None = pii_field(
        category=C.DATE_OF_BIRTH, permission=P.CONTACTS_READ_PII, source="date_of_birth_enc",
        decode="date", mask=M.YEAR_ONLY, mask_permission=P.CONTACTS_READ_MASKED_PII,
        description="Date of birth (ISO 8601 date; the year alone when masked).",
    )  # fmt: skip
    notes: str | None = pii_field(
        category=C.NOTES, permission=P.CONTACTS_READ_PII, source="notes_enc", decode="text",
        description="Free-text notes about the person.",
    )  # fmt: skip
    lifecycle_stage: LifecycleStage = plain_field("Where the contact stands in the lifecycle.")
    source: str | None = plain_field("How the contact reached the tenant (web form, import...).")
    restricted: bool | None = pii_field(
        category=C.PRIVACY_CHOICES,
        permission=P.CONSENT_READ,
        source="restricted",
        graphql_type=bool,
        subject_bound=False,
        name="processingRestricted",
        description="True while processing is restricted: personal data is kept but not used.",
    )
    erased: bool | None = pii_field(
        category=C.PRIVACY_CHOICES,
        permission=P.CONSENT_READ,
        source="erased",
        graphql_type=bool,
        subject_bound=False,
        description="True once the person's data has been erased (the record is a shell).",
    )
    created_at: datetime = plain_field("When the contact was created.")
    updated_at: datetime = plain_field("When the contact last changed.")

    @guarded_field(
        permission=P.COMPANIES_READ, description="The company the person works for.", batch=COMPANY
    )
    async def company(
        self, root: strawberry.Parent[Any], info: strawberry.Info[RequestContext, None]
    ) -> CompanyRef | None:
        return await load_related(COMPANY, info, root)

    @guarded_field(permission=P.MEMBERS_READ, description="The member who owns the contact.")
    async def owner(
        self, root: strawberry.Parent[Any], info: strawberry.Info[RequestContext, None]
    ) -> MemberRef | None:
        from resolvers.contacts import member

        return await member(info, root.owner_id)

    @guarded_field(
        permission=P.DEALS_READ,
        description="Deals where the person is the primary contact.",
        batch=DEALS,
    )
    async def deals(
        self,
        root: strawberry.Parent[Any],
        info: strawberry.Info[RequestContext, None],
        first: int = 10,
    ) -> list[DealRef]:
        return await load_related(DEALS, info, root, first=first)

    @guarded_field(
        permission=P.ACTIVITIES_READ, description="Activities about the person.", batch=ACTIVITIES
    )
    async def activities(
        self,
        root: strawberry.Parent[Any],
        info: strawberry.Info[RequestContext, None],
        first: int = 10,
    ) -> list[ActivityRef]:
        return await load_related(ACTIVITIES, info, root, first=first)

    @guarded_field(
        permission=P.CONSENT_READ,
        description="Current consent and objection state per purpose (derived from history).",
    )
    async def consents(
        self, root: strawberry.Parent[Any], info: strawberry.Info[RequestContext, None]
    ) -> list[ConsentStateRef]:
        from resolvers.consent import current_consents

        return await current_consents(info, root.id)  # type: ignore[return-value]  # rows

    @guarded_field(
        permission=P.CONSENT_READ,
        description="The append-only consent history, oldest first.",
    )
    async def consent_history(
        self, root: strawberry.Parent[Any], info: strawberry.Info[RequestContext, None]
    ) -> list[ConsentEventRef]:
        from resolvers.consent import consent_history

        return await consent_history(info, root.id)  # type: ignore[return-value]  # rows

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, ContactRow)
