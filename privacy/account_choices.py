"""An account holder's objection to the sale or sharing of their account data (issue
10, "Account holders"; policy section 9; CCPA's right to opt out, and the Global
Privacy Control signal it requires businesses to honour).

Two ways in: the browser's `Sec-GPC: 1` header on any request of a signed-in holder
(honoured before the operation runs, server/execution.py), and the explicit
`optOutOfSaleSharing` mutation. Both append one `objected` event to the holder's
append-only history (`account_choice_event`, as `consent_event` does for
contacts: nothing is overwritten, the state is folded from the history by the same
rule, `privacy.consent.objected_after`) and are idempotent: while the objection
stands nothing more is recorded. The holder sees the history and the state with
`myPrivacyChoices`. Ledgerline sells and shares no account data; the record is what
makes that promise checkable, and binds any future integration.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from functools import reduce

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from auth.principal import Principal
from models import AccountChoiceEvent
from privacy.audit import AuditBuffer, sale_sharing_objection, write_rows
from privacy.consent import objected_after
from privacy.purposes import Purpose

SALE_SHARING = Purpose.THIRD_PARTY_SHARING
"""The purpose an objection to sale or sharing is recorded under."""
GPC_HEADER = "sec-gpc"


def gpc_signal(headers: Mapping[str, str] | None) -> bool:
    """The Global Privacy Control header is present and `1` (its only defined value)."""
    return headers is not None and (headers.get(GPC_HEADER) or "").strip() == "1"


async def choice_history(session: AsyncSession, user_id: uuid.UUID) -> list[AccountChoiceEvent]:
    """The holder's choices, oldest first."""
    result = await session.execute(
        select(AccountChoiceEvent)
        .where(col(AccountChoiceEvent.user_id) == user_id)
        .order_by(col(AccountChoiceEvent.recorded_at), col(AccountChoiceEvent.id))
    )
    return list(result.scalars())


def objects_to_sale_sharing(history: list[AccountChoiceEvent]) -> bool:
    statuses = (e.status for e in history if e.purpose == SALE_SHARING.value)
    return reduce(objected_after, statuses, False)


async def object_to_sale_sharing(
    session: AsyncSession, buffer: AuditBuffer, *, user_id: uuid.UUID, source: str
) -> AccountChoiceEvent | None:
    """Record the objection unless it already stands (then None); audited."""
    if objects_to_sale_sharing(await choice_history(session, user_id)):
        return None
    event = AccountChoiceEvent(
        user_id=user_id, purpose=SALE_SHARING.value, status="objected", source=source
    )
    session.add(event)
    await session.flush()
    sale_sharing_objection(buffer, user_id=user_id, source=source, event_id=event.id)
    return event


async def honour_gpc(
    session: AsyncSession,
    principal: Principal,
    request_id: str,
    operation_name: str | None,
    *,
    chain_key: bytes,
) -> None:
    """The `Sec-GPC: 1` header of a signed-in holder's request, before the operation
    runs: recorded (once) and audited, and committed at once, so the operation already
    sees it and its failure cannot undo it."""
    buffer = AuditBuffer()
    recorded = await object_to_sale_sharing(
        session, buffer, user_id=principal.user_id, source="gpc"
    )
    if recorded is None:
        return
    rows = buffer.take_actions(principal, request_id, operation_name)
    if rows is not None:
        await write_rows(session, rows, chain_key)
    await session.commit()
