"""The personal-data access trail of one contact (policy sections 8 and 9).

Reads `audit_subject` (one row per request and data subject, written by
privacy/audit.py) joined to its `audit_event` for the request id; newest first. The
rows hold ids, category names and purposes only, never values. The contact is looked
up in the caller's tenant first, so another tenant's id is NOT_FOUND like a missing one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from core.context import RequestContext
from core.errors import bad_input
from models.audit import AuditEvent, AuditSubject
from resolvers.members import members_by_user
from resolvers.references import existing


@dataclass(frozen=True)
class AccessEntry:
    occurred_at: datetime
    actor: Any  # MemberRow | None (None once the member has left the tenant)
    purposes: list[str]
    categories_shown: list[str]
    categories_redacted: list[str]
    request_id: str | None


def _names(joined: str | None) -> list[str]:
    return [name for name in (joined or "").split(",") if name]


def _limit(ctx: RequestContext, first: int) -> int:
    cap = ctx.services.settings.limits.max_page_size
    if first < 0 or first > cap:
        raise bad_input(f"first must be between 0 and {cap}.", "first")
    return first


async def personal_data_access(
    ctx: RequestContext, contact_gid: str, first: int
) -> list[AccessEntry]:
    contact = await existing(ctx, contact_gid, "Contact", "contact")
    limit = _limit(ctx, first)
    if limit == 0:
        return []
    result = await ctx.db.execute(
        select(
            col(AuditSubject.occurred_at),
            col(AuditSubject.actor_id),
            col(AuditSubject.purposes),
            col(AuditSubject.categories_shown),
            col(AuditSubject.categories_redacted),
            col(AuditEvent.request_id),
        )
        .join(AuditEvent, col(AuditEvent.id) == AuditSubject.event_id)
        .where(col(AuditSubject.subject_id) == contact.id)
        .order_by(col(AuditSubject.occurred_at).desc(), col(AuditSubject.id).desc())
        .limit(limit)
    )
    rows = result.all()
    actor_ids: list[uuid.UUID] = list({r.actor_id for r in rows if r.actor_id is not None})
    actors = await members_by_user(ctx, actor_ids) if actor_ids else {}
    return [
        AccessEntry(
            occurred_at=r.occurred_at,
            actor=actors.get(r.actor_id) if r.actor_id is not None else None,
            purposes=_names(r.purposes),
            categories_shown=_names(r.categories_shown),
            categories_redacted=_names(r.categories_redacted),
            request_id=r.request_id,
        )
        for r in rows
    ]
