"""The purge's steps, one (or, for the trash, one per table) per retention rule
(policy section 5; issue 11).

A step selects what its rule has let expire before `cutoff`, leaving out what a legal
hold covers (privacy/retention/trash.py `not_held`), and acts on it in batches. Every
action takes the rows out of the selection (removed, erased, or marked purged), so
running a step again finds only what is left: the purge is idempotent and resumes
where a crash stopped it.

Export files (7 days, LEDGERLINE_EXPORT_RETENTION_DAYS): the export packages
(privacy/export/storage.py `purge_expired_exports`) delete their own files;
`CallbackStep` calls it as the `export_file` step.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models import Activity, Company, Contact, Deal, Invitation, PrivacyRequest, UsageEvent
from models.tenant_guard import INCLUDE_TRASHED
from privacy.crypto import TenantCipher
from privacy.data_map import Retention, RetentionRule
from privacy.export.storage import purge_expired_exports
from privacy.holds import ActiveHolds
from privacy.request_rules import Channel, Verification
from privacy.retention import actions
from privacy.retention.trash import not_held

PROSPECT_STAGES = ("subscriber", "lead", "qualified", "opportunity")
"""Lifecycle stages of someone who never became a customer."""


@dataclass(frozen=True)
class IdStep:
    """Rows of one table chosen by a condition, handed by id to a journaled action."""

    rule: RetentionRule
    label: str
    model: Any
    expired: Callable[[datetime], list[Any]]
    action: str
    """A key of privacy.retention.actions.ACTIONS."""
    in_trash: bool = False

    def _ids(self, cutoff: datetime, holds: ActiveHolds) -> Any:
        stmt = select(col(self.model.id)).where(*self.expired(cutoff), *not_held(self.model, holds))
        return stmt.execution_options(**{INCLUDE_TRASHED: True}) if self.in_trash else stmt

    async def count(self, session: AsyncSession, cutoff: datetime, holds: ActiveHolds) -> int:
        stmt = self._ids(cutoff, holds)
        counted = stmt.with_only_columns(func.count(col(self.model.id)), maintain_column_froms=True)
        return int(await session.scalar(counted) or 0)

    async def run_batch(
        self,
        session: AsyncSession,
        cipher: TenantCipher,
        cutoff: datetime,
        holds: ActiveHolds,
        batch: int,
    ) -> int:
        ids: list[uuid.UUID] = list(
            (await session.execute(self._ids(cutoff, holds).limit(batch))).scalars()
        )
        if ids:
            await actions.ACTIONS[self.action](session, cipher, ids, self.rule.name)
        return len(ids)


@dataclass(frozen=True)
class UsageLogStep:
    rule: RetentionRule = Retention.USAGE_LOG
    label: str = "usage log"

    async def count(self, session: AsyncSession, cutoff: datetime, holds: ActiveHolds) -> int:
        stmt = select(func.count(col(UsageEvent.id))).where(col(UsageEvent.occurred_at) < cutoff)
        return int(await session.scalar(stmt) or 0)

    async def run_batch(
        self,
        session: AsyncSession,
        cipher: TenantCipher,
        cutoff: datetime,
        holds: ActiveHolds,
        batch: int,
    ) -> int:
        return await actions.purge_usage_log(session, cutoff, batch)


@dataclass(frozen=True)
class CallbackStep:
    """A rule applied by another module's `fn(session, *, now, dry_run) -> int`, which
    selects what expired by `now` itself and acts on all of it in one call (export
    files: their expiry is fixed when they are made). Only for a fixed rule, so `now` is
    the cutoff plus the rule's own period."""

    rule: RetentionRule
    label: str
    fn: Callable[..., Awaitable[int]]

    def _now(self, cutoff: datetime) -> datetime:
        assert self.rule.period is not None
        return cutoff + self.rule.period

    async def count(self, session: AsyncSession, cutoff: datetime, holds: ActiveHolds) -> int:
        return await self.fn(session, now=self._now(cutoff), dry_run=True)

    async def run_batch(
        self,
        session: AsyncSession,
        cipher: TenantCipher,
        cutoff: datetime,
        holds: ActiveHolds,
        batch: int,
    ) -> int:
        return await self.fn(session, now=self._now(cutoff), dry_run=False)


def _trashed_before(model: Any) -> Callable[[datetime], list[Any]]:
    return lambda cutoff: [col(model.deleted_at) < cutoff, col(model.purged_at).is_(None)]


def _unverified_intake(cutoff: datetime) -> list[Any]:
    return [
        col(PrivacyRequest.channel) == Channel.WEB_FORM.value,
        col(PrivacyRequest.verification) == Verification.UNVERIFIED.value,
        col(PrivacyRequest.received_at) < cutoff,
    ]


def _closed_request(cutoff: datetime) -> list[Any]:
    return [or_(col(PrivacyRequest.completed_at) < cutoff, col(PrivacyRequest.refused_at) < cutoff)]


def _ended_invitation(cutoff: datetime) -> list[Any]:
    return [
        or_(
            col(Invitation.accepted_at) < cutoff,
            col(Invitation.revoked_at) < cutoff,
            col(Invitation.expires_at) < cutoff,
        )
    ]


def _inactive_prospect(cutoff: datetime) -> list[Any]:
    """A prospect (never a customer), not erased, untouched since `cutoff`, with no
    activity about them since then."""
    recent = exists().where(
        or_(
            col(Activity.contact_id) == Contact.id,
            col(Activity.subject_contact_id) == Contact.id,
        ),
        col(Activity.updated_at) >= cutoff,
    )
    return [
        col(Contact.lifecycle_stage).in_(PROSPECT_STAGES),
        col(Contact.erased_at).is_(None),
        col(Contact.updated_at) < cutoff,
        ~recent,
    ]


def _won(won: bool) -> Callable[[datetime], list[Any]]:
    def expired(cutoff: datetime) -> list[Any]:
        stage = col(Deal.stage) == "won" if won else col(Deal.stage) != "won"
        return [*_trashed_before(Deal)(cutoff), stage]

    return expired


Step = IdStep | UsageLogStep | CallbackStep
"""Each has `rule`, `label`, `count(session, cutoff, holds)` (the dry run) and
`run_batch(session, cipher, cutoff, holds, batch)`: rows acted on, 0 once nothing is left."""

_TRASH = Retention.SOFT_DELETED
STEPS: tuple[Step, ...] = (
    UsageLogStep(),
    IdStep(Retention.UNVERIFIED_INTAKE, "unverified intake requests", PrivacyRequest,
           _unverified_intake, "delete_privacy_requests"),
    IdStep(Retention.PRIVACY_REQUEST, "closed privacy requests", PrivacyRequest,
           _closed_request, "delete_privacy_requests"),
    IdStep(Retention.INVITATION, "ended invitations", Invitation, _ended_invitation,
           "delete_invitations"),
    CallbackStep(Retention.EXPORT_FILE, "export files", purge_expired_exports),
    IdStep(_TRASH, "trash: activities", Activity, _trashed_before(Activity),
           "delete_activities", in_trash=True),
    IdStep(_TRASH, "trash: won deals (shelled)", Deal, _won(True), "shell_deals", in_trash=True),
    IdStep(_TRASH, "trash: deals", Deal, _won(False), "delete_deals", in_trash=True),
    IdStep(_TRASH, "trash: contacts (erased)", Contact, _trashed_before(Contact),
           "erase_contacts", in_trash=True),
    IdStep(_TRASH, "trash: companies", Company, _trashed_before(Company), "delete_companies",
           in_trash=True),
    IdStep(Retention.INACTIVE_PROSPECT, "inactive prospects (erased)", Contact,
           _inactive_prospect, "erase_contacts"),
)  # fmt: skip
"""In order: the trash goes children first (activities, deals, contacts, companies)."""
