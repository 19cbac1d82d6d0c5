"""Delete, list and restore through the trash, and the tenant's retention rules (policy
section 5; issue 11). The rules themselves are in privacy/retention/."""

from __future__ import annotations

import uuid

from sqlmodel import col

from core.context import RequestContext
from core.errors import AppError, Code, not_found
from privacy.audit import moved_to_trash, restored_from_trash, retention_rule_changed
from privacy.data_map import Retention
from privacy.retention import trash
from privacy.retention.rules import TenantRule, set_tenant_rule, tenant_rules
from resolvers.global_ids import decode_id
from resolvers.references import existing


async def delete_to_trash(ctx: RequestContext, global_id: str, type_name: str) -> uuid.UUID:
    """What every delete mutation does: refuse (LEGAL_HOLD) what a hold covers, else
    move the row to the trash, audited. Nothing is erased or unlinked yet: a restore
    brings it back as it was; the purge acts when the period ends."""
    row = await existing(ctx, global_id, type_name, "id")
    model = trash.TRASHABLE[type_name]
    await trash.move_to_trash(ctx.db, model, row, ctx.require_principal().user_id)
    moved_to_trash(ctx.audit, type_name=type_name, row_id=row.id)
    return row.id


async def ref_including_trash(
    ctx: RequestContext, global_id: str | None, type_name: str, field: str
) -> uuid.UUID | None:
    """The id of a record of the caller's tenant, in the trash or not: a legal hold must
    reach a deleted record before the purge does (NOT_FOUND as `optional_ref` else)."""
    if global_id is None:
        return None
    model = trash.TRASHABLE[type_name]
    try:
        _, row_id = decode_id(global_id, type_name)
    except AppError:
        row_id = None
    found = None
    if row_id is not None:
        stmt = trash.trashed(model).with_only_columns(col(model.id)).where(col(model.id) == row_id)
        found = (await ctx.db.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise AppError(Code.NOT_FOUND, f"No {type_name.lower()} with this id.", field=field)
    return row_id


async def _trash_period(ctx: RequestContext) -> TenantRule:
    return (await tenant_rules(ctx.db))[Retention.SOFT_DELETED.name]


async def list_trash(ctx: RequestContext, first: int) -> list[trash.TrashItem]:
    from resolvers.contacts import _page_limit

    rule = await _trash_period(ctx)
    assert rule.period is not None  # adjustable rules always have a period
    return await trash.list_trash(ctx.db, rule.period, _page_limit(ctx, first))


async def restore(ctx: RequestContext, global_id: str) -> tuple[str, uuid.UUID]:
    try:
        type_name, row_id = decode_id(global_id)
    except AppError as exc:
        raise not_found() from exc
    rule = await _trash_period(ctx)
    assert rule.period is not None
    await trash.restore(ctx.db, type_name, row_id, rule.period)
    restored_from_trash(ctx.audit, type_name=type_name, row_id=row_id)
    return type_name, row_id


async def retention_rules(ctx: RequestContext) -> list[TenantRule]:
    return list((await tenant_rules(ctx.db)).values())


async def set_retention_rule(ctx: RequestContext, rule: str, days: int) -> TenantRule:
    changed = await set_tenant_rule(ctx.db, rule, days, ctx.require_principal().user_id)
    retention_rule_changed(ctx.audit, rule=rule, days=days)
    return changed
