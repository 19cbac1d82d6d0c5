"""Running the Alembic migrations programmatically (on start and from the CLI)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

from core.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_sync(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


async def upgrade_database(settings: Settings) -> None:
    """Migrate with the owner's URL (DATABASE_URL); the app then connects as its own role."""
    await asyncio.to_thread(upgrade_sync, settings.database_url)
