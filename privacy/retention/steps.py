"""The purge's steps, one (or, for the trash, one per table) per retention rule
(policy section 5; issue 11).

A step selects what its rule has let expire before `cutoff`, leaving out what a legal
hold covers (privacy/retention/trash.py `not_held`), and acts on it in batches. Every
action takes the rows out of the selection (removed, erased, or marked purged), so
running a step again finds only what is left: the purge is idempotent and resumes
where a crash stopped it.

Export files (7 days, LEDGERLINE_EXPORT_RETENTION_DAYS, privacy/export/storage.py
`purge_expired_exports`) and minors (erased 7 days after the flag at the latest,
privacy/minors.py `purge_flagged_minors`) apply themselves: `CallbackStep` calls them.
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
from privacy.audit import AuditBuffer
from privacy.crypto import TenantCipher
from privacy.data_map import Retention, RetentionRule
from privacy.export.storage import purge_expired_exports
from privacy.holds import ActiveHolds
from privacy.minors import purge_flagged_minors
from privacy.request_rules import Channel, Verification
from privacy.retention import actions
from privacy.retention.trash import not_held

PROSPECT_STAGES = ("subscriber", "lead", "qualified", "opportunity")
"""Lifecycle stages of someone who never became a customer."""


@dataclass(frozen=True)
class Pass:
    """One step's work in one transaction of one tenant."""

    session: AsyncSession
    cipher: TenantCipher
    """The tenant's cipher (erasure suppresses the person's address by its blind index)."""
    now: datetime
    cutoff: datetime
    """`now` minus the tenant's period for the step's rule."""
    holds: ActiveHolds
    audit: AuditBuffer
    """Events of the work done, written in the same transaction."""
    size: int
    """The batch size."""


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

    async def count(self, p: Pass) -> int:
        stmt = self._ids(p.cutoff, p.holds)
        counted = stmt.with_only_columns(func.count(col(self.model.id)), maintain_column_froms=True)
        return int(await p.session.scalar(counted) or 0)

    async def run_batch(self, p: Pass) -> int:
        ids: list[uuid.UUID] = list(
            (await p.session.execute(self._ids(p.cutoff, p.holds).limit(p.size))).scalars()
        )
        if ids:
            await actions.ACTIONS[self.action](p.session, p.cipher, ids, self.rule.name)
        return len(ids)


@dataclass(frozen=True)
class UsageLogStep:
    rule: RetentionRule = Retention.USAGE_LOG
    label: str = "usage log"

    async def count(self, p: Pass) -> int:
        stmt = select(func.count(col(UsageEvent.id))).where(col(UsageEvent.occurred_at) < p.cutoff)
        return int(await p.session.scalar(stmt) or 0)

    async def run_batch(self, p: Pass) -> int:
        return await actions.purge_usage_log(p.session, p.cutoff, p.size)


@dataclass(frozen=True)
class CallbackStep:
    """A rule another module applies itself: `fn(pass, dry_run) -> int` selects what is
    due by `now`, keeps out what a hold covers and acts on all of it in one call
    (export files: their expiry is fixed when they are made; minors: 7 days after the
    flag)."""

    rule: RetentionRule
    label: str
    fn: Callable[[Pass, bool], Awaitable[int]]

    async def count(self, p: Pass) -> int:
        return await self.fn(p, True)

    async def run_batch(self, p: Pass) -> int:
        return await self.fn(p, False)


def _exports(p: Pass, dry_run: bool) -> Awaitable[int]:
    return purge_expired_exports(p.session, now=p.now, dry_run=dry_run)


def _minors(p: Pass, dry_run: bool) -> Awaitable[int]:
    return purge_flagged_minors(
        p.session, now=p.now, dry_run=dry_run, cipher=p.cipher, audit=p.audit
    )


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
"""Each has `rule`, `label`, `count(pass)` (the dry run) and `run_batch(pass)`: rows
acted on, 0 once nothing is left."""

_TRASH = Retention.SOFT_DELETED
STEPS: tuple[Step, ...] = (
    UsageLogStep(),
    IdStep(Retention.UNVERIFIED_INTAKE, "unverified intake requests", PrivacyRequest,
           _unverified_intake, "delete_privacy_requests"),
    IdStep(Retention.PRIVACY_REQUEST, "closed privacy requests", PrivacyRequest,
           _closed_request, "delete_privacy_requests"),
    IdStep(Retention.INVITATION, "ended invitations", Invitation, _ended_invitation,
           "delete_invitations"),
    CallbackStep(Retention.EXPORT_FILE, "export files", _exports),
    CallbackStep(Retention.MINOR, "minors (erased)", _minors),
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
