"""Read-path rows: plain slotted objects built from column tuples (no ORM identity map).

Each row knows its data subject (`subject_id`, `subject_state`) so personal-data
fields can be decided without another lookup, and its opaque global id (`gid`).
Rows have no side-effecting properties: the fast executor may read them twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, Self

from sqlalchemy.orm import InstrumentedAttribute

from models import Activity, Company, Contact, Deal, Membership
from privacy.decision import SubjectState
from resolvers.global_ids import encode_id


class Row:
    __slots__ = ("subject_state",)
    TYPE_NAME: ClassVar[str] = ""
    COLUMNS: ClassVar[tuple[InstrumentedAttribute[Any], ...]] = ()
    NAMES: ClassVar[tuple[str, ...]] = ()

    id: uuid.UUID
    tenant_id: uuid.UUID
    subject_state: SubjectState | None

    @classmethod
    def from_tuple(cls, values: Sequence[Any], state: SubjectState | None = None) -> Self:
        row = cls.__new__(cls)
        for name, value in zip(cls.NAMES, values, strict=True):
            object.__setattr__(row, name, value)
        row.subject_state = state
        return row

    @property
    def gid(self) -> str:
        return encode_id(self.TYPE_NAME, self.id)

    @property
    def subject_id(self) -> uuid.UUID | None:
        return None


def _columns(model: Any, names: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(getattr(model, n) for n in names)


_CONTACT = (
    "id", "tenant_id", "first_name", "last_name", "email_enc", "phone_enc", "job_title_enc",
    "company_id", "address_enc", "city_enc", "country_enc", "date_of_birth_enc", "lifecycle_stage",
    "source", "owner_id", "notes_enc", "restricted", "erased_at", "created_at", "updated_at",
)  # fmt: skip


class ContactRow(Row):
    __slots__ = _CONTACT
    TYPE_NAME = "Contact"
    NAMES = _CONTACT
    COLUMNS = _columns(Contact, _CONTACT)

    company_id: uuid.UUID | None
    owner_id: uuid.UUID | None
    restricted: bool
    erased_at: datetime | None

    @property
    def subject_id(self) -> uuid.UUID | None:
        return self.id

    @property
    def erased(self) -> bool:
        return self.erased_at is not None


_COMPANY = (
    "id", "tenant_id", "name", "domain", "industry", "size", "address_enc", "owner_id",
    "created_at", "updated_at",
)  # fmt: skip


class CompanyRow(Row):
    __slots__ = _COMPANY
    TYPE_NAME = "Company"
    NAMES = _COMPANY
    COLUMNS = _columns(Company, _COMPANY)


_DEAL = (
    "id", "tenant_id", "title_enc", "amount", "currency", "stage", "expected_close_date",
    "company_id", "primary_contact_id", "owner_id", "closed_at", "created_at", "updated_at",
)  # fmt: skip


class DealRow(Row):
    __slots__ = _DEAL
    TYPE_NAME = "Deal"
    NAMES = _DEAL
    COLUMNS = _columns(Deal, _DEAL)

    stage: str
    company_id: uuid.UUID | None
    primary_contact_id: uuid.UUID | None
    owner_id: uuid.UUID | None


_ACTIVITY = (
    "id", "tenant_id", "kind", "subject_enc", "body_enc", "due_at", "done", "contact_id",
    "company_id", "deal_id", "author_id", "subject_contact_id", "created_at", "updated_at",
)  # fmt: skip


class ActivityRow(Row):
    """An activity's data subject is the person its body was written about, recorded
    once (`subject_contact_id`); the current contact link may differ or be empty."""

    __slots__ = _ACTIVITY
    TYPE_NAME = "Activity"
    NAMES = _ACTIVITY
    COLUMNS = _columns(Activity, _ACTIVITY)

    contact_id: uuid.UUID | None
    company_id: uuid.UUID | None
    deal_id: uuid.UUID | None
    author_id: uuid.UUID | None
    subject_contact_id: uuid.UUID | None

    @property
    def subject_id(self) -> uuid.UUID | None:
        return self.subject_contact_id


_MEMBER = ("id", "tenant_id", "user_id", "role", "created_at")


class MemberRow(Row):
    """Global id is built from the user id: owners and authors reference users."""

    __slots__ = (*_MEMBER, "email", "display_name")
    TYPE_NAME = "Member"
    NAMES = _MEMBER
    COLUMNS = _columns(Membership, _MEMBER)

    user_id: uuid.UUID
    role: str
    created_at: datetime
    email: str | None
    display_name: str | None

    @property
    def gid(self) -> str:
        return encode_id(self.TYPE_NAME, self.user_id)
