"""A tenant's retention periods: the data map's defaults, changed within bounds
(policy section 5; issue 11).

Only the rules the purge applies are adjustable, each between a documented minimum and
maximum (days). The others are fixed: the audit trail and records of consent and
rights are kept as long as the law asks (no override, so never below the legal
minimum); account, session, customer-data and service records follow the account's
and the subscription's life, not a period a tenant picks.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.errors import AppError, Code
from models.base import utcnow
from models.retention import RetentionSetting
from privacy.data_map import Retention, RetentionRule


@dataclass(frozen=True)
class Bounds:
    minimum: int
    maximum: int


BOUNDS: dict[str, Bounds] = {
    Retention.INVITATION.name: Bounds(7, 90),
    Retention.SOFT_DELETED.name: Bounds(7, 90),
    Retention.INACTIVE_PROSPECT.name: Bounds(365, 3650),
    Retention.USAGE_LOG.name: Bounds(30, 365),
    Retention.UNVERIFIED_INTAKE.name: Bounds(7, 90),
    Retention.PRIVACY_REQUEST.name: Bounds(365, 3650),
}
"""Adjustable rules (days). The usage log's minimum is also enforced by the database
(migration 0015 MIN_USAGE_DAYS). Export files are fixed per server
(LEDGERLINE_EXPORT_RETENTION_DAYS): a package's expiry is set when it is made."""

RULES: dict[str, RetentionRule] = {rule.name: rule for rule in Retention.ALL}


@dataclass(frozen=True)
class TenantRule:
    """One rule as a tenant has it: the default, the tenant's period, the bounds."""

    rule: RetentionRule
    days: int | None
    bounds: Bounds | None

    @property
    def default_days(self) -> int | None:
        return None if self.rule.period is None else self.rule.period.days

    @property
    def period(self) -> timedelta | None:
        return None if self.days is None else timedelta(days=self.days)


async def tenant_rules(session: AsyncSession) -> dict[str, TenantRule]:
    """Every rule, in the data map's order, with the current tenant's overrides."""
    result = await session.execute(select(col(RetentionSetting.rule), col(RetentionSetting.days)))
    overrides = {rule: days for rule, days in result}
    out: dict[str, TenantRule] = {}
    for rule in Retention.ALL:
        default = None if rule.period is None else rule.period.days
        bounds = BOUNDS.get(rule.name)
        days = overrides.get(rule.name, default) if bounds is not None else default
        out[rule.name] = TenantRule(rule, days, bounds)
    return out


def checked_days(name: str, days: int) -> Bounds:
    """The rule's bounds, or RETENTION_OUT_OF_BOUNDS for a fixed or unknown rule or a
    period outside them."""
    if name not in RULES:
        raise AppError(Code.BAD_USER_INPUT, f"There is no retention rule {name!r}.", field="rule")
    bounds = BOUNDS.get(name)
    if bounds is None:
        raise AppError(
            Code.RETENTION_OUT_OF_BOUNDS,
            f"The retention of {RULES[name].description.lower()} is fixed: "
            f"{RULES[name].period_text}.",
            field="rule",
        )
    if not bounds.minimum <= days <= bounds.maximum:
        raise AppError(
            Code.RETENTION_OUT_OF_BOUNDS,
            f"days must be between {bounds.minimum} and {bounds.maximum} for this rule.",
            field="days",
            minimum=bounds.minimum,
            maximum=bounds.maximum,
        )
    return bounds


async def set_tenant_rule(
    session: AsyncSession, name: str, days: int, actor: uuid.UUID
) -> TenantRule:
    """Change the current tenant's period for one rule (within its bounds)."""
    checked_days(name, days)
    setting = (
        await session.execute(select(RetentionSetting).where(col(RetentionSetting.rule) == name))
    ).scalar_one_or_none()
    if setting is None:
        session.add(
            RetentionSetting(
                tenant_id=session.info["tenant_id"], rule=name, days=days, updated_by=actor
            )
        )
    else:
        setting.days, setting.updated_by, setting.updated_at = days, actor, utcnow()
    await session.flush()
    return (await tenant_rules(session))[name]
