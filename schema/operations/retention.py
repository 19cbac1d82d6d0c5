"""Retention rules of the workspace (policy section 5; issue 11): admins read them and
change the adjustable ones within their bounds; each change is audited."""

from __future__ import annotations

import strawberry

from auth.permissions import Permission as P
from core.context import RequestContext
from resolvers import trash as resolve
from schema.policy import guarded_field
from schema.types.retention import RetentionRule


@strawberry.type
class Query:
    @guarded_field(
        permission=P.PRIVACY_ADMIN,
        description="Every retention rule with its default, your workspace's period and the "
        "bounds an admin may choose within.",
    )
    async def retention_rules(
        self, info: strawberry.Info[RequestContext, None]
    ) -> list[RetentionRule]:
        return [RetentionRule.of(rule) for rule in await resolve.retention_rules(info.context)]


@strawberry.type
class Mutation:
    @guarded_field(
        permission=P.PRIVACY_ADMIN,
        description="Change how long your workspace keeps what one rule covers, within the "
        "rule's bounds (RETENTION_OUT_OF_BOUNDS otherwise); audited. The purge applies it "
        "from its next run.",
    )
    async def set_retention_rule(
        self, info: strawberry.Info[RequestContext, None], rule: str, days: int
    ) -> RetentionRule:
        return RetentionRule.of(await resolve.set_retention_rule(info.context, rule, days))
