"""Tenants (the companies using the service) and their wrapped data keys.

Policy sections 4 and 11: each tenant is an isolated space with a data region.
Policy section 8: each tenant's personal data is encrypted with its own data key,
stored only wrapped by a master key from configuration.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import LargeBinary
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, timestamp_field

DATA_REGIONS = ("eu", "us")
PLATFORM_KEY_ID = uuid.UUID(int=0)


class Tenant(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200)
    slug: str = Field(max_length=80, unique=True, index=True)
    region: str = Field(default="eu", max_length=8)
    created_at: datetime = timestamp_field()


class TenantKey(SQLModel, table=True):
    """A tenant's data key, wrapped; deleting this row crypto-shreds the tenant."""

    __tablename__ = "tenant_key"
    __tenant_scoped__ = True

    tenant_id: uuid.UUID = Field(primary_key=True)
    """A tenant's id, or PLATFORM_KEY_ID for account data that belongs to no tenant."""
    master_key_id: str = Field(max_length=32)
    wrapped_key: bytes = Field(sa_type=LargeBinary, nullable=False)
    created_at: datetime = timestamp_field()
    rotated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
