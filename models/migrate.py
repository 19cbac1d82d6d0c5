"""Running the Alembic migrations programmatically (on start and from the CLI)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path

from alembic import command
from alembic.config import Config

from core.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str, master_keys: Mapping[str, bytes] | None = None) -> Config:
    """`master_keys` reach the migrations that encrypt stored plain values
    (models/sealing.py) as the config attribute `master_keys`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["master_keys"] = master_keys
    return config


def upgrade_sync(
    url: str, revision: str = "head", master_keys: Mapping[str, bytes] | None = None
) -> None:
    command.upgrade(alembic_config(url, master_keys), revision)


def upgrade_settings(settings: Settings, revision: str = "head") -> None:
    """Migrate with the owner's URL (DATABASE_URL) and the configured master keys."""
    upgrade_sync(settings.database_url, revision, settings.master_keys)


async def upgrade_database(settings: Settings) -> None:
    """Migrate with the owner's URL; the app then connects as its own role."""
    await asyncio.to_thread(upgrade_settings, settings)
