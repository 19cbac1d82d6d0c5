"""What the purge does to the rows a rule selected, by id: each action is idempotent
(an id already erased, removed or shelled is left as it is) so the purge can resume and
`reapply` can replay the journal (policy section 5; issue 11).

Every action runs in the current tenant's session and notes itself in the journal
(privacy/retention/journal.py); erasure notes itself in privacy.consent.erase_contact.
Every action takes the tenant's cipher; only erasure uses it (suppression).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models import Activity, Company, Contact, Deal, Invitation, PrivacyRequest, UsageEvent
from models.base import utcnow
from privacy.crypto import TenantCipher
from privacy.data_map import Retention
from privacy.erasure import erase_person
from privacy.retention.journal import Entry, note
from privacy.retention.trash import trashed

Ids = Sequence[uuid.UUID]


def _tenant(session: AsyncSession) -> uuid.UUID:
    tenant_id = session.info["tenant_id"]
    assert isinstance(tenant_id, uuid.UUID)
    return tenant_id


async def erase_contacts(session: AsyncSession, cipher: TenantCipher, ids: Ids, rule: str) -> None:
    """Erase each person as every erasure does (privacy.erasure.erase_person: the shell
    stays, an erasure record proves it); a trashed shell is marked purged. A prospect
    erased for inactivity is not suppressed: they may come back."""
    found = (await session.execute(trashed(Contact).where(col(Contact.id).in_(ids)))).scalars()
    for contact in list(found):
        if contact.erased_at is None:
            await erase_person(
                session, cipher, contact, actor=None, reason=f"retention: {rule}",
                suppress_person=rule != Retention.INACTIVE_PROSPECT.name, rule=rule,
            )  # fmt: skip
    await session.execute(
        update(Contact)
        .where(col(Contact.id).in_(ids), col(Contact.deleted_at).is_not(None))
        .values(purged_at=utcnow())
    )


async def _remove(session: AsyncSession, model: Any, ids: Ids, rule: str, action: str) -> None:
    await session.execute(delete(model).where(col(model.id).in_(ids)))
    note(session, Entry(_tenant(session), rule, action, tuple(ids)))


async def delete_companies(
    session: AsyncSession, _cipher: TenantCipher, ids: Ids, rule: str
) -> None:
    """Unlink their contacts, deals and activities (kept), then remove them."""
    for model in (Contact, Deal, Activity):
        await session.execute(
            update(model).where(col(model.company_id).in_(ids)).values(company_id=None)
        )
    await _remove(session, Company, ids, rule, "delete_companies")


async def delete_deals(session: AsyncSession, _cipher: TenantCipher, ids: Ids, rule: str) -> None:
    """Unlink their activities (kept), then remove them."""
    await session.execute(
        update(Activity).where(col(Activity.deal_id).in_(ids)).values(deal_id=None)
    )
    await _remove(session, Deal, ids, rule, "delete_deals")


async def shell_deals(session: AsyncSession, _cipher: TenantCipher, ids: Ids, rule: str) -> None:
    """Won deals keep their amount, currency, stage and dates (the books need them); the
    title (NULL, read as "[erased]") and the link to a person go; the shell stays in the
    trash."""
    await session.execute(
        update(Deal)
        .where(col(Deal.id).in_(ids))
        .values(title_enc=None, primary_contact_id=None, purged_at=utcnow())
    )
    note(session, Entry(_tenant(session), rule, "shell_deals", tuple(ids)))


async def delete_activities(
    session: AsyncSession, _cipher: TenantCipher, ids: Ids, rule: str
) -> None:
    await _remove(session, Activity, ids, rule, "delete_activities")


async def delete_invitations(
    session: AsyncSession, _cipher: TenantCipher, ids: Ids, rule: str
) -> None:
    await _remove(session, Invitation, ids, rule, "delete_invitations")


async def delete_privacy_requests(
    session: AsyncSession, _cipher: TenantCipher, ids: Ids, rule: str
) -> None:
    await _remove(session, PrivacyRequest, ids, rule, "delete_privacy_requests")


Action = Callable[[AsyncSession, TenantCipher, Ids, str], Awaitable[None]]

ACTIONS: dict[str, Action] = {
    "erase_contacts": erase_contacts,
    "delete_companies": delete_companies,
    "delete_deals": delete_deals,
    "shell_deals": shell_deals,
    "delete_activities": delete_activities,
    "delete_invitations": delete_invitations,
    "delete_privacy_requests": delete_privacy_requests,
}
"""Journal action name -> the action, for the purge's steps and for `reapply`."""


async def purge_usage_log(
    session: AsyncSession, cutoff: datetime, batch: int, rule: str = "usage_log"
) -> int:
    """Remove up to `batch` usage-log rows older than `cutoff`. The log is append-only
    for the application (migration 0009); migration 0015 lets through exactly this: on
    PostgreSQL through the SECURITY DEFINER function `purge_usage_events`, on SQLite
    past the DELETE trigger, and on both only for rows older than the rule's minimum."""
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        removed = int(await session.scalar(select(func.purge_usage_events(cutoff, batch))) or 0)
    else:
        doomed = select(col(UsageEvent.id)).where(col(UsageEvent.occurred_at) < cutoff).limit(batch)
        ids = list((await session.execute(doomed)).scalars())
        if ids:
            await session.execute(delete(UsageEvent).where(col(UsageEvent.id).in_(ids)))
        removed = len(ids)
    if removed:
        note(session, Entry(_tenant(session), rule, "purge_usage_log", cutoff=cutoff))
    return removed
