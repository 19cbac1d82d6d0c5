"""Activities: notes, calls, emails, meetings and tasks (policy section 2.2).

The subject and the body are free text about people, so they are personal data
(category NOTES) and are encrypted at rest (the subject since issue 10; NULL once its
person is erased, read as the shell value '[erased]'). Their data subject is the
person they were written about:
`subject_contact_id`, recorded from the contact link (or the deal's primary contact)
the first time the activity is linked to a person and never changed afterwards, so
unlinking or re-linking the activity never changes whose consent governs the body.

`subject_contact_id` has no foreign key on purpose: the subject must outlive the
contact record (deleteContact now erases the person and keeps the record as a shell,
but rows deleted before migration 0009 are gone), and a subject whose contact no longer
exists reads as erased (resolvers/loaders.py), so nothing about a deleted person is
shown. It is only ever set from an id already resolved in the caller's
tenant (the contact link, or the linked deal's primary contact).
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKeyConstraint, LargeBinary, UniqueConstraint
from sqlmodel import Field

from models.base import TenantScoped, Trashable, UTCDateTime


class ActivityKind(enum.Enum):
    """What an activity is: the one closed set, stored as its value and offered as the
    GraphQL enum `ActivityKind`."""

    NOTE = "note"
    CALL = "call"
    EMAIL = "email"
    MEETING = "meeting"
    TASK = "task"


ACTIVITY_KINDS = tuple(kind.value for kind in ActivityKind)


def _subject_from_contact_link(context: Any) -> Any:
    """Column default: an insert that names no subject (bulk loads such as the demo
    seed) records the linked contact as the data subject, never nothing."""
    return context.get_current_parameters().get("contact_id")


class Activity(TenantScoped, Trashable, table=True):
    __table_args__ = (
        UniqueConstraint("tenant_id", "id", name="uq_activity_tenant_id"),
        ForeignKeyConstraint(["tenant_id", "contact_id"], ["contact.tenant_id", "contact.id"]),
        ForeignKeyConstraint(["tenant_id", "company_id"], ["company.tenant_id", "company.id"]),
        ForeignKeyConstraint(["tenant_id", "deal_id"], ["deal.tenant_id", "deal.id"]),
        ForeignKeyConstraint(
            ["tenant_id", "author_id"], ["membership.tenant_id", "membership.user_id"]
        ),
    )

    kind: str = Field(max_length=16)
    subject_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    body_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done: bool = False
    contact_id: uuid.UUID | None = Field(default=None, index=True)
    company_id: uuid.UUID | None = Field(default=None, index=True)
    deal_id: uuid.UUID | None = Field(default=None, index=True)
    author_id: uuid.UUID | None = None
    subject_contact_id: uuid.UUID | None = Field(
        default=None, index=True, sa_column_kwargs={"default": _subject_from_contact_link}
    )
    """The data subject of the body (see the module docstring); set once."""
