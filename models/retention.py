"""Retention: a tenant's own periods and the record of every purge run (policy section 5;
issue 11).

`retention_setting` holds only a tenant's overrides; a rule without a row keeps the
default of the data map (privacy/data_map.py `Retention`), and the bounds every
override must stay within live in privacy/retention/rules.py. `retention_run` records
each run of the purge for the tenant: when, whether a dry run, and how many rows each
rule removed, so an unfinished run is visible and a restore can be compared with it.
Neither table holds personal data.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field

from models.base import TenantScoped, UTCDateTime


class RetentionSetting(TenantScoped, table=True):
    __tablename__ = "retention_setting"
    __table_args__ = (UniqueConstraint("tenant_id", "rule", name="uq_retention_setting_rule"),)

    rule: str = Field(max_length=40)
    """The name of a rule of `privacy.data_map.Retention`."""
    days: int
    updated_by: uuid.UUID | None = None


class RetentionRun(TenantScoped, table=True):
    __tablename__ = "retention_run"
    __table_args__ = (Index("ix_retention_run_tenant_started", "tenant_id", "started_at"),)

    started_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    dry_run: bool = False
    trigger: str = Field(max_length=16)
    """`cli`, `schedule` or `reapply`."""
    counts: str = Field(default="{}", sa_type=Text)
    """JSON: rule name -> rows removed (or, in a dry run, that would be)."""
