"""Policy versions (policy section 12): versioned texts with their 'last updated' date, a
material change published with an effective date, and the notice every signed-in user
gets until they acknowledge the version in force.

- A version is named after its 'last updated' date (`2026-11-01`, as
  auth.accounts.CURRENT_POLICY_VERSION), so versions order as their names do.
- The platform operator publishes one with `ledgerline policy publish VERSION
  --effective DATE` (`publish`): the text as rendered then, its SHA-256, whether it is
  material (an editorial change asks nobody to acknowledge it) and the consent-based
  purposes it introduces. `bootstrap` publishes the code's current version, in force
  at once, on a new installation.
- The version in force is the latest material one whose effective date has come. Until
  a signed-in user has acknowledged it (or a later one: sign-up records the version
  accepted), every GraphQL response carries `extensions.policy` (server/execution.py);
  `acknowledgePolicy(version:)` appends an acceptance (append-only, migration 0016).
- A version that adds a consent-based purpose never implies consent: acknowledging it
  changes no consent record, and the notice names the new purposes, which each person
  must opt in to (recordConsent) like any other.

`PolicyNotices` keeps, per process, the published versions (re-read every
`VERSIONS_TTL` seconds, or at once after `publish` in this process) and the users known
to be up to date, so a request by someone who has acknowledged costs no statement; a
user with a pending notice is checked on every request, so an acknowledgement made
through another process counts at once.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.accounts import PolicyAcceptance, PolicyVersion, User
from models.base import utcnow
from privacy.audit import AuditBuffer
from privacy.purposes import PURPOSES, Purpose

if TYPE_CHECKING:
    from core.services import Services

VERSIONS_TTL = 60.0
ACKNOWLEDGE_METHOD = "acknowledge_mutation"


@dataclass(frozen=True)
class PolicyNotice:
    version: str
    effective_at: datetime
    consent_purposes_added: tuple[Purpose, ...]

    def extension(self, app_url: str) -> dict[str, object]:
        """`extensions.policy` of a response to a user who has not acknowledged it."""
        return {
            "version": self.version,
            "effectiveDate": self.effective_at.date().isoformat(),
            "url": f"{app_url}/privacy",
            "newConsentPurposes": [p.value for p in self.consent_purposes_added],
        }


def _purposes(stored: str) -> tuple[Purpose, ...]:
    return tuple(Purpose(p) for p in stored.split(",") if p)


def in_force(versions: list[PolicyNotice], now: datetime) -> PolicyNotice | None:
    """The latest material version whose effective date has come (`versions`: the
    material ones)."""
    due = [v for v in versions if v.effective_at <= now]
    return max(due, key=lambda v: (v.effective_at, v.version), default=None)


async def material_versions(session: AsyncSession) -> list[PolicyNotice]:
    rows = await session.execute(
        select(
            col(PolicyVersion.version),
            col(PolicyVersion.effective_at),
            col(PolicyVersion.consent_purposes_added),
        ).where(col(PolicyVersion.material).is_(True))
    )
    return [PolicyNotice(v, when, _purposes(added)) for v, when, added in rows]


async def latest_acknowledged(session: AsyncSession, user_id: uuid.UUID) -> str | None:
    """The latest version the user accepted (at sign-up or with acknowledgePolicy)."""
    found = await session.scalar(
        select(func.max(col(PolicyAcceptance.version))).where(
            col(PolicyAcceptance.user_id) == user_id
        )
    )
    return None if found is None else str(found)


class PolicyNotices:
    """The per-process view of which version is in force and who acknowledged it."""

    def __init__(self) -> None:
        self._versions: list[PolicyNotice] = []
        self._loaded_at: float | None = None
        self._up_to_date: dict[uuid.UUID, str] = {}

    def forget(self) -> None:
        """Re-read the versions on the next request (after `publish`)."""
        self._loaded_at = None

    async def current(self, session: AsyncSession, now: datetime) -> PolicyNotice | None:
        if self._loaded_at is None or time.monotonic() - self._loaded_at > VERSIONS_TTL:
            self._versions = await material_versions(session)
            self._loaded_at = time.monotonic()
        return in_force(self._versions, now)

    async def pending(
        self, session: AsyncSession, user_id: uuid.UUID, now: datetime
    ) -> PolicyNotice | None:
        """The version in force, if `user_id` has not acknowledged it (nor a later one)."""
        current = await self.current(session, now)
        if current is None or self._up_to_date.get(user_id, "") >= current.version:
            return None
        latest = await latest_acknowledged(session, user_id)
        if latest is not None and latest >= current.version:
            self._up_to_date[user_id] = latest
            return None
        if latest is None and await session.get(User, user_id) is None:
            return None  # the account was deleted by this very request: no one to tell
        return current


def notices_of(services: Services) -> PolicyNotices:
    notices = services.extras.get("policy_notices")
    if notices is None:
        notices = services.extras["policy_notices"] = PolicyNotices()
    assert isinstance(notices, PolicyNotices)
    return notices


class PolicyVersionError(ValueError):
    """A version that cannot be published as asked (the message says why)."""


def _checked(version: str, purposes: tuple[Purpose, ...]) -> None:
    try:
        date.fromisoformat(version)
    except ValueError:
        raise PolicyVersionError("a version is its 'last updated' date: YYYY-MM-DD") from None
    for purpose in purposes:
        if not PURPOSES[purpose].requires_consent:
            raise PolicyVersionError(f"{purpose.value} does not rest on consent")


async def publish(
    services: Services,
    *,
    version: str,
    text: str,
    effective_at: datetime,
    material: bool = True,
    consent_purposes_added: tuple[Purpose, ...] = (),
) -> PolicyVersion:
    """Record a new version (the platform operator's `ledgerline policy publish`)."""
    _checked(version, consent_purposes_added)
    async with services.db.session(None) as session:
        if await session.get(PolicyVersion, version) is not None:
            raise PolicyVersionError(f"version {version} is already published")
        row = PolicyVersion(
            version=version,
            published_at=utcnow(),
            text_sha256=hashlib.sha256(text.encode()).hexdigest(),
            text=text,
            effective_at=effective_at,
            material=material,
            consent_purposes_added=",".join(p.value for p in consent_purposes_added),
        )
        session.add(row)
        await session.commit()
    notices_of(services).forget()
    return row


async def acknowledge(
    session: AsyncSession, user_id: uuid.UUID, version: str, now: datetime
) -> bool:
    """Record that `user_id` acknowledged `version`, which must be the one in force;
    False when it is not (nothing recorded). Acknowledging again records nothing more."""
    current = in_force(await material_versions(session), now)
    if current is None or current.version != version:
        return False
    done = await session.scalar(
        select(func.count(col(PolicyAcceptance.id))).where(
            col(PolicyAcceptance.user_id) == user_id, col(PolicyAcceptance.version) == version
        )
    )
    if not done:
        session.add(PolicyAcceptance(user_id=user_id, version=version, method=ACKNOWLEDGE_METHOD))
        await session.flush()
    return True


def policy_acknowledged(buffer: AuditBuffer, *, user_id: uuid.UUID, version: str) -> None:
    """Audit (ids and the version only)."""
    buffer.record("policy_acknowledged", f"member {user_id} version {version}")
