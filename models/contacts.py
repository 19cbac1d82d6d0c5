"""Contacts: the data subjects of the CRM (policy sections 2.2 and 9).

Personal-data columns end in `_enc` (AES-GCM with the tenant's data key, section 8);
`email_bidx` is a keyed blind index for equality lookups. `restricted` and `erased_at`
are the processing flags; their history lives in `processing_event`.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field

from models.base import TenantScoped, Trashable, UTCDateTime


class LifecycleStage(enum.Enum):
    """Where a contact stands in the customer lifecycle: the one closed set, stored as
    its value and offered as the GraphQL enum `LifecycleStage`."""

    SUBSCRIBER = "subscriber"
    LEAD = "lead"
    QUALIFIED = "qualified"
    OPPORTUNITY = "opportunity"
    CUSTOMER = "customer"
    CHURNED = "churned"


LIFECYCLE_STAGES = tuple(stage.value for stage in LifecycleStage)


class Contact(TenantScoped, Trashable, table=True):
    __table_args__ = (
        UniqueConstraint("tenant_id", "id", name="uq_contact_tenant_id"),
        ForeignKeyConstraint(["tenant_id", "company_id"], ["company.tenant_id", "company.id"]),
        ForeignKeyConstraint(
            ["tenant_id", "owner_id"], ["membership.tenant_id", "membership.user_id"]
        ),
        Index("ix_contact_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_contact_tenant_email_bidx", "tenant_id", "email_bidx"),
    )

    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    email_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    email_bidx: bytes | None = Field(default=None, sa_type=LargeBinary)
    phone_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    job_title_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    company_id: uuid.UUID | None = Field(default=None, index=True)
    address_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    city_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    country_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    date_of_birth_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    lifecycle_stage: str = Field(default="lead", max_length=20)
    source: str | None = Field(default=None, max_length=50)
    owner_id: uuid.UUID | None = None
    notes_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    restricted: bool = Field(default=False)
    erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    minor_flagged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """Known or reported to be under 18 (section 10): the personal data is erased
    within privacy.minors.DELETION_DEADLINE of this time."""
