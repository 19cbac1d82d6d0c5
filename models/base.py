"""Shared column conventions: random UUID keys, tenant ownership, timestamps.

Policy section 4: every tenant table carries `tenant_id`, and foreign keys between
tenant tables include it, so a row can never point into another tenant.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import DateTime, Numeric, String, TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use UTC")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Money(TypeDecorator[Decimal]):
    """Exact decimal amounts: NUMERIC on PostgreSQL, canonical text on SQLite."""

    impl = Numeric(18, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(Numeric(18, 2))

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> Any:
        if value is None:
            return None
        value = Decimal(value).quantize(Decimal("0.01"))
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def timestamp_field(**kwargs: Any) -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, **kwargs)


class TenantScoped(SQLModel):
    """Mixin for every table whose rows belong to one tenant.

    The tenant guard (models/tenant_guard.py) recognises these classes and adds
    `tenant_id = :current` to every ORM statement that touches them.
    """

    __tenant_scoped__: ClassVar[bool] = True

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", index=True, nullable=False)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class Trashable(SQLModel):
    """Mixin for the records a delete moves to the trash (policy section 5; issue 11).

    `deleted_at` set: the row is in the trash, hidden from every read by the tenant
    guard (models/tenant_guard.py) and restorable until the tenant's `soft_deleted`
    period ends; then the purge erases or removes it and sets `purged_at` on what it
    keeps (an erased contact's shell, a won deal's amount)."""

    __trashable__: ClassVar[bool] = True

    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deleted_by: uuid.UUID | None = None
    """The member who deleted it (an opaque user id)."""
    purged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def is_trashable(cls: type) -> bool:
    return bool(getattr(cls, "__trashable__", False))


def is_tenant_scoped(cls: type) -> bool:
    return bool(getattr(cls, "__tenant_scoped__", False))
