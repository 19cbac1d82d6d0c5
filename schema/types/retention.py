"""Retention rules and the trash (policy section 5; issue 11). Every field is plain:
rules are the tenant's settings, and a trash item names its record by opaque id only
(what it was is read by restoring it, through the record's own policies)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from auth.permissions import Permission as P
from privacy.retention.rules import TenantRule
from privacy.retention.trash import TrashItem as TrashEntry
from resolvers.global_ids import encode_id
from schema.directives import Requires, TenantScoped
from schema.policy import plain_field


@strawberry.type(
    description="A retention rule as your workspace applies it (policy section 5).",
    directives=[TenantScoped(), Requires(permission=P.PRIVACY_ADMIN)],
)
class RetentionRule:
    name: str = plain_field("The rule's name, as `setRetentionRule` takes it.")
    description: str = plain_field("What the rule keeps.")
    counted_from: str = plain_field("What the period is counted from.")
    default_period: str = plain_field("The default, as the privacy policy states it.")
    default_days: int | None = plain_field("The default in days; null: no fixed period.")
    days: int | None = plain_field("Your workspace's period in days; null: no fixed period.")
    adjustable: bool = plain_field(
        "Whether admins may change it (audit and account records are fixed)."
    )
    minimum_days: int | None = plain_field("The shortest period allowed; null when fixed.")
    maximum_days: int | None = plain_field("The longest period allowed; null when fixed.")

    @classmethod
    def of(cls, rule: TenantRule) -> RetentionRule:
        return cls(
            name=rule.rule.name,
            description=rule.rule.description,
            counted_from=rule.rule.counted_from,
            default_period=rule.rule.period_text,
            default_days=rule.default_days,
            days=rule.days,
            adjustable=rule.bounds is not None,
            minimum_days=None if rule.bounds is None else rule.bounds.minimum,
            maximum_days=None if rule.bounds is None else rule.bounds.maximum,
        )


@strawberry.type(
    description="A deleted record in the trash: restorable until `restorableUntil`, then "
    "erased or removed by the purge.",
    directives=[TenantScoped(), Requires(permission=P.PRIVACY_ADMIN)],
)
class TrashItem:
    gid: strawberry.ID = plain_field(
        "The record's own global id (give it to `restore`).", name="id"
    )
    type_name: str = plain_field("Company, Contact, Deal or Activity.", name="type")
    deleted_at: datetime = plain_field("When it was deleted.")
    deleted_by: strawberry.ID | None = plain_field("The member (Member id) who deleted it.")
    restorable_until: datetime = plain_field("The end of its time in the trash.")

    @classmethod
    def of(cls, item: TrashEntry) -> TrashItem:
        return cls(
            gid=strawberry.ID(encode_id(item.type_name, item.id)),
            type_name=item.type_name,
            deleted_at=item.deleted_at,
            deleted_by=(
                None
                if item.deleted_by is None
                else strawberry.ID(encode_id("Member", item.deleted_by))
            ),
            restorable_until=item.restorable_until,
        )


@strawberry.type(description="The record brought back from the trash.")
class RestorePayload:
    restored_id: strawberry.ID = plain_field("Its global id, readable again.")
