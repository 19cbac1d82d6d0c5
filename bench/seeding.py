"""Seeding the benchmark databases once and reusing them while the seed code is unchanged.

SQLite: the seeded file is cached as `bench/.cache/sqlite-<hash>.db` (plus a manifest of
tenant and user ids); each run works on a copy, so writes (W5, audit rows) never reach
the cache. PostgreSQL: the seeded database is kept as the template `ledgerline_bench_tpl`
(its comment holds the hash) and `ledgerline_bench` is re-created from it on every run.
The hash covers the seed code, the models and migrations, the sizes and the master key.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from bench.config import (
    BENCH_MASTER_KEY,
    PG_ADMIN_DB,
    PG_DB,
    PG_HOST,
    PG_OWNER,
    PG_PORT,
    PG_TEMPLATE,
    ROOT,
    TENANTS,
    Size,
    apply_env,
    bench_env,
)

SEED_SOURCES = (
    "server/seed.py",
    "auth/accounts.py",
    "privacy/crypto.py",
    "privacy/keyring.py",
)
SEED_TREES = ("models",)


def seed_hash(size: Size) -> str:
    digest = hashlib.sha256()
    files = [ROOT / p for p in SEED_SOURCES]
    for tree in SEED_TREES:
        files.extend(sorted((ROOT / tree).rglob("*.py")))
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    digest.update(repr(asdict(size)).encode())
    digest.update(repr(TENANTS).encode())
    digest.update(BENCH_MASTER_KEY.encode())
    digest.update(b"analyzed after seeding")
    return digest.hexdigest()[:16]


@dataclass
class Manifest:
    """Who is who in the seeded data (ids are stable for one seeded database)."""

    tenants: list[dict[str, Any]]
    seed_seconds: float = 0.0
    seeded_now: bool = False

    def tenant_id(self, index: int = 0) -> uuid.UUID:
        return uuid.UUID(self.tenants[index]["id"])

    def user_id(self, role: str, index: int = 0) -> uuid.UUID:
        return uuid.UUID(self.tenants[index]["users"][role])

    def dump(self) -> str:
        return json.dumps(
            {"tenants": self.tenants, "seed_seconds": self.seed_seconds, "now": self.seeded_now}
        )

    @classmethod
    def load(cls, text: str) -> Manifest:
        raw = json.loads(text)
        return cls(raw["tenants"], raw.get("seed_seconds", 0.0), raw.get("now", False))


async def _seed(size: Size) -> list[dict[str, Any]]:
    from auth.accounts import bootstrap
    from core.services import Services
    from core.settings import load_settings
    from server.seed import SeedSize, seed_tenant

    services = Services.from_settings(load_settings())
    try:
        await bootstrap(services)
        out = []
        seed_size = SeedSize(size.contacts, size.companies, size.deals, size.activities)
        for i, (name, slug, region) in enumerate(TENANTS[: size.tenants]):
            seeded = await seed_tenant(services, name, slug, region, seed_size, seed=i + 1)
            out.append(
                {
                    "id": str(seeded.tenant_id),
                    "slug": seeded.slug,
                    "users": {role.value: str(uid) for role, uid in seeded.users.items()},
                }
            )
        return out
    finally:
        await services.close()


def _run_seed(database_url: str, data_dir: Path, size: Size) -> list[dict[str, Any]]:
    from models.migrate import upgrade_sync

    apply_env(bench_env(database_url, data_dir))
    if database_url.startswith("postgresql"):
        # server/seed.py cannot run as `ledgerline_app` (its session(None) writes tenant
        # keys and rows that RLS refuses), so the bench seeds as the owner.
        os.environ["APP_DATABASE_URL"] = database_url
    upgrade_sync(database_url)
    return asyncio.run(_seed(size))


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def ensure_sqlite(size: Size, cache_dir: Path) -> tuple[Path, Manifest]:
    """The cached seeded SQLite file for `size`, seeding it first if missing."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    key = seed_hash(size)
    db_path = cache_dir / f"sqlite-{key}.db"
    manifest_path = cache_dir / f"sqlite-{key}.json"
    if db_path.exists() and manifest_path.exists():
        return db_path, replace(Manifest.load(manifest_path.read_text()), seeded_now=False)
    tmp = cache_dir / f"sqlite-{key}.tmp-{os.getpid()}.db"
    for leftover in cache_dir.glob(f"{tmp.name}*"):
        leftover.unlink()
    started = time.perf_counter()
    tenants = _run_seed(sqlite_url(tmp), cache_dir / "data", size)
    import sqlite3

    with sqlite3.connect(tmp) as conn:  # fold the WAL into the file before caching it
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    manifest = Manifest(tenants, time.perf_counter() - started, seeded_now=True)
    tmp.rename(db_path)
    manifest_path.write_text(manifest.dump())
    return db_path, manifest


def working_copy(cache_path: Path, work_dir: Path) -> Path:
    work_dir.mkdir(parents=True, exist_ok=True)
    target = work_dir / "bench.db"
    for old in work_dir.glob("bench.db*"):
        old.unlink()
    shutil.copyfile(cache_path, target)
    return target


# ---------------------------------------------------------------- PostgreSQL


def pg_url(database: str, user: str = PG_OWNER) -> str:
    return f"postgresql+asyncpg://{user}@{PG_HOST}:{PG_PORT}/{database}"


def _admin(database: str = PG_ADMIN_DB) -> Any:
    import psycopg

    return psycopg.connect(
        f"postgresql://{PG_OWNER}@{PG_HOST}:{PG_PORT}/{database}",
        autocommit=True,
        connect_timeout=3,
    )


def _analyze(database: str) -> None:
    """Planner statistics, as autovacuum gives a production database soon after a bulk
    load: without them the planner guesses (a 3 s W3 on PostgreSQL, where the activity
    loader's guessed plan preferred the (tenant, deleted_at) index to the deal one)."""
    with _admin(database) as conn:
        conn.execute("ANALYZE")


def postgres_reachable() -> str | None:
    """None when reachable, else the reason."""
    try:
        with _admin() as conn:
            conn.execute("SELECT 1")
        return None
    except Exception as exc:  # noqa: BLE001  (any failure means "not reachable")
        return f"{type(exc).__name__}: {exc}".strip()


def _terminate(conn: Any, name: str) -> None:
    conn.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()",
        (name,),
    )


def _drop(conn: Any, name: str) -> None:
    from psycopg import sql

    _terminate(conn, name)
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def ensure_postgres(size: Size, cache_dir: Path) -> Manifest:
    """Re-create `ledgerline_bench` from the seeded template (seeding the template first
    when it is missing or was seeded by other code)."""
    from psycopg import sql

    key = seed_hash(size)
    marker = f"ledgerline bench seed {key}"
    manifest_path = cache_dir / f"postgres-{key}.json"
    with _admin() as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (PG_TEMPLATE,),
        ).fetchone()
        fresh = row is None or row[0] != marker or not manifest_path.exists()
        manifest: Manifest
        if fresh:
            building = f"{PG_TEMPLATE}_build"
            _drop(conn, building)
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(building)))
            started = time.perf_counter()
            tenants = _run_seed(pg_url(building), cache_dir / "data", size)
            _analyze(building)
            manifest = Manifest(tenants, time.perf_counter() - started, seeded_now=True)
            _terminate(conn, building)
            _drop(conn, PG_TEMPLATE)
            conn.execute(
                sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                    sql.Identifier(building), sql.Identifier(PG_TEMPLATE)
                )
            )
            conn.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                    sql.Identifier(PG_TEMPLATE), sql.Literal(marker)
                )
            )
            manifest_path.parent.mkdir(parents=True, exist_ok=True)
            manifest_path.write_text(manifest.dump())
        else:
            manifest = replace(Manifest.load(manifest_path.read_text()), seeded_now=False)
        _drop(conn, PG_DB)
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(PG_DB), sql.Identifier(PG_TEMPLATE)
            )
        )
    return manifest


def drop_postgres_work_db() -> None:
    with _admin() as conn:
        _drop(conn, PG_DB)


def start_postgres_seeding(size: Size, cache_dir: Path) -> Any:
    """`ensure_postgres` in a subprocess, so it runs beside the SQLite seeding (2 cores)."""
    import subprocess
    import sys

    return subprocess.Popen(
        [sys.executable, "-m", "bench.seeding", json.dumps(asdict(size)), str(cache_dir)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )


def finish_postgres_seeding(proc: Any) -> Manifest:
    out, _ = proc.communicate()
    if proc.returncode:
        raise RuntimeError(f"seeding PostgreSQL failed (exit {proc.returncode})")
    return Manifest.load(out.decode().strip().splitlines()[-1])


if __name__ == "__main__":
    import sys

    result = ensure_postgres(Size(**json.loads(sys.argv[1])), Path(sys.argv[2]))
    sys.stdout.write(result.dump() + "\n")
