"""What the benchmark runs: sizes, operations, targets and the environment it sets."""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
CACHE_DIR = BENCH_DIR / ".cache"
RESULTS_DIR = BENCH_DIR / "results"

# A fixed, public benchmark master key: the cached database must decrypt on the next run.
# It protects nothing but generated data and is never used outside the bench.
BENCH_MASTER_KEY = (
    "k1:" + base64.urlsafe_b64encode(hashlib.sha256(b"ledgerline-bench").digest()).decode()
)

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_OWNER = "postgres"
PG_ADMIN_DB = "test"
PG_DB = "ledgerline_bench"
PG_TEMPLATE = "ledgerline_bench_tpl"

# The in-process runs are pinned to this core (the HTTP server's core in W6).
INPROC_CORE = 0


@dataclass(frozen=True)
class Size:
    tenants: int = 3
    contacts: int = 10_000
    companies: int = 1_000
    deals: int = 20_000
    activities: int = 30_000


FULL = Size()
QUICK = Size(contacts=200, companies=20, deals=400, activities=600)

TENANTS = (("Bench One Ltd", "bench-one", "eu"), ("Bench Two GmbH", "bench-two", "eu"),
           ("Bench Three Inc", "bench-three", "us"))  # fmt: skip

W1 = (
    "{ contacts(first: 1000) { nodes { id firstName lastName email phone jobTitle city "
    "country lifecycleStage source createdAt updatedAt } } }"
)
W3 = (
    "{ contacts(first: 200) { nodes { id company { name deals(first: 5) { title "
    "activities(first: 3) { subject } } } } } }"
)
W4 = "query($id: ID!) { contact(id: $id) { id firstName lastName email } }"
W5 = (
    "mutation($input: CreateContactInput!) { createContact(input: $input, consents: "
    '[{purpose: MARKETING, granted: true, source: "bench", evidence: "bench form 1"}]) '
    "{ contact { id firstName lastName email } } }"
)

# Targets printed beside the figures: (metric, comparison, bound).
TARGETS: dict[tuple[str, str], list[tuple[str, str, float]]] = {
    ("W1", "inproc"): [("twin_ratio", "<=", 1.10), ("limit_ratio", "<=", 3.0)],
    ("W2", "inproc"): [("twin_ratio", "<=", 1.10)],
    ("W3", "inproc"): [("sql_statements", "<=", 4), ("limit_ratio", "<=", 1.5)],
    ("W4", "inproc-sqlite"): [("median_ms", "<=", 0.3)],
    ("W1", "memory"): [("rss_over_response", "<=", 3.0)],
}
HTTP_TARGETS: dict[tuple[str, int], list[tuple[str, str, float]]] = {
    ("W4", 8): [("rps", ">=", 2500), ("p99_ms", "<=", 20)],
    ("W1", 8): [("rps", ">=", 80)],
    ("W3", 8): [("rps", ">=", 65)],
}


def bench_env(database_url: str, data_dir: Path) -> dict[str, str]:
    """Environment for the API under test (in-process and the HTTP server alike)."""
    return {
        "ENV": "development",
        "DATABASE_URL": database_url,
        "LEDGERLINE_DATA_DIR": str(data_dir),
        "LEDGERLINE_MASTER_KEY": BENCH_MASTER_KEY,
        "LEDGERLINE_MAX_PAGE_SIZE": "1000",
        "LEDGERLINE_RATE_LIMIT": "100000000/minute",
    }


def apply_env(env: dict[str, str]) -> None:
    for name in list(os.environ):
        if name.startswith("LEDGERLINE_") or name in {"APP_DATABASE_URL", "REDIS_URL"}:
            del os.environ[name]
    os.environ.update(env)
