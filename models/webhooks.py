"""Webhooks of partner apps (issue 12, policy sections 6 and 9): subscriptions per
installation and event type, and the log of every delivery with its status codes.

A subscription's signing secret is kept encrypted with the tenant's data key (it must
be read back to sign), and shown once to the admin who created or rotated it. A
delivery stores the event (type, ids, changed categories), never personal data: the
payload is rendered for the app at send time, through the policy runtime, so a replay
sends only what the app may read at that moment.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field

from models.base import TenantScoped, UTCDateTime


class WebhookSubscription(TenantScoped, table=True):
    __tablename__ = "webhook_subscription"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id", name="uq_webhook_subscription_tenant_id"),
        ForeignKeyConstraint(
            ["tenant_id", "installation_id"],
            ["app_installation.tenant_id", "app_installation.id"],
        ),
    )

    installation_id: uuid.UUID = Field(index=True)
    url: str = Field(max_length=2000)
    event_types: str = Field(max_length=500)
    """Space-separated event types (privacy/webhooks/events.py EventType)."""
    secret_sealed: bytes = Field(sa_type=LargeBinary)
    created_by: uuid.UUID
    consecutive_failures: int = 0
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebhookDelivery(TenantScoped, table=True):
    __tablename__ = "webhook_delivery"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "subscription_id"],
            ["webhook_subscription.tenant_id", "webhook_subscription.id"],
        ),
    )

    subscription_id: uuid.UUID = Field(index=True)
    event_type: str = Field(max_length=40)
    subject_id: uuid.UUID | None = None
    """The contact, deal or request the event is about."""
    data: str = Field(default="{}", sa_type=Text)
    """Non-personal facts of the event (changed categories, stage), JSON."""
    status: str = Field(default="pending", max_length=16)  # pending|delivered|failed
    attempts: int = 0
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=200)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
