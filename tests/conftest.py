"""Shared fixtures: settings in a temporary data directory, a migrated database per
test (copied from one migrated template), services, tenant worlds and a runner."""

from __future__ import annotations

import os
import shutil

# Cheap argon2 parameters for the many test users (read when auth.passwords is imported).
os.environ.setdefault("LEDGERLINE_FAST_PASSWORD_HASH", "1")
# No scheduled purge in a test's server unless the test asks for it.
os.environ.setdefault("LEDGERLINE_PURGE_INTERVAL_S", "0")
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from core.services import Services
from core.settings import Settings, load_settings
from tests.support.postgres import PostgresDatabase, create_database
from tests.support.world import Runner, TenantWorld, make_tenant


def pytest_configure(config: pytest.Config) -> None:
    """Every fast-path list the suite executes is also run by the stock executor and
    must match byte for byte (schema/fast_execution.py, verify mode)."""
    import schema.fast_execution

    schema.fast_execution.VERIFY = True


KEPT_ENV = {"LEDGERLINE_DATA_DIR", "LEDGERLINE_FAST_PASSWORD_HASH", "LEDGERLINE_PURGE_INTERVAL_S"}


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from models.migrate import upgrade_sync

    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_sync(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def settings(
    tmp_path: Path, template_db: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    db_path = tmp_path / "ledgerline.db"
    shutil.copy(template_db, db_path)
    monkeypatch.setenv("LEDGERLINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{db_path}")
    monkeypatch.delenv("ENV", raising=False)
    for name in list(os.environ):
        if name.startswith("LEDGERLINE_") and name not in KEPT_ENV:
            monkeypatch.delenv(name)
    yield load_settings()


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    from auth.accounts import bootstrap

    services = Services.from_settings(settings)
    await bootstrap(services)
    yield services
    await services.close()


@pytest.fixture
def runner(services: Services) -> Runner:
    return Runner(services)


@pytest.fixture
async def tenant_a(services: Services) -> TenantWorld:
    return await make_tenant(services, "Acme Corp")


@pytest.fixture
async def tenant_b(services: Services) -> TenantWorld:
    return await make_tenant(services, "Globex Inc")


@pytest.fixture
def pg_database() -> Iterator[PostgresDatabase]:
    """A migrated PostgreSQL database of its own (skipped, or failed under CI, if the
    server cannot be reached)."""
    database = create_database()
    try:
        yield database
    finally:
        database.drop()
