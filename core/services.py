"""Process-wide services, built once at start-up and shared by every request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from auth.tokens import TokenIssuer
from core.background import BackgroundTasks
from core.jobs.runner import JobRunner, make_runner
from core.settings import Settings
from models.db import Database
from privacy.keyring import KeyRing


@dataclass(eq=False)
class Services:
    settings: Settings
    db: Database
    keyring: KeyRing
    tokens: TokenIssuer
    extras: dict[str, Any] = field(default_factory=dict)
    """Optional services wired by the app (rate limiter, login backoff)."""
    background: BackgroundTasks = field(default_factory=BackgroundTasks)
    """In-process work that outlives a request (export builds); ended on close."""
    jobs: JobRunner = field(init=False)
    """The background job runner the settings choose (core/jobs)."""

    def __post_init__(self) -> None:
        self.jobs = make_runner(self)

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        db = Database(settings.database_url, settings.app_database_url or None)
        db.journal_path = str(settings.retention_journal)
        return cls(
            settings=settings,
            db=db,
            keyring=KeyRing(settings.master_keys, settings.active_master_key_id),
            tokens=TokenIssuer(
                settings.signing_key_pem,
                settings.token_issuer,
                settings.token_audience,
                settings.access_token_ttl_s,
            ),
        )

    async def close(self) -> None:
        await self.jobs.stop()
        await self.background.stop()
        await self.db.dispose()
