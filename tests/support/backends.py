"""One test on both backends: `backend` is the settings of SQLite (the test's copy of the
migrated template) or of one migrated PostgreSQL database per module, and `store` the
application's services on it. A conftest imports the fixtures for its tests
(tests/privacy/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from core.services import Services
from core.settings import Settings
from tests.support.postgres import PostgresDatabase, create_database


@pytest.fixture(scope="module")
def pg_backend_database() -> Iterator[tuple[PostgresDatabase, dict[str, Any]]]:
    """The module's PostgreSQL database, with the master keys of its first test (the
    platform key is wrapped by them; later tests reuse them)."""
    database = create_database()
    try:
        yield database, {}
    finally:
        database.drop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    if request.param == "sqlite":
        return settings
    database, shared = request.getfixturevalue("pg_backend_database")
    keys = shared.setdefault("master_keys", settings.master_keys)
    return settings.model_copy(
        update={"database_url": database.owner_url, "app_database_url": "", "master_keys": keys}
    )


@pytest.fixture
async def store(backend: Settings) -> AsyncIterator[Services]:
    from auth.accounts import bootstrap

    services = Services.from_settings(backend)
    await bootstrap(services)
    yield services
    await services.close()
