"""The bench harness's core on a tiny seed: structure only, never timings.

Seeds three tiny tenants into a temporary cache, runs every in-process workload once
(API, no-policy twin, limit) on SQLite, without HTTP, PostgreSQL or the memory
subprocess, and checks the records' keys and that the limit's W1 JSON is the API's.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench import report
from bench.config import Size
from bench.harness import Rounds
from bench.run import Options, core

TINY = Size(contacts=200, companies=20, deals=200, activities=300)


@pytest.fixture
def restore_environ():
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_quick_bench_core_produces_complete_records(tmp_path: Path, restore_environ) -> None:
    opts = Options(size=TINY, rounds=Rounds.quick(), cache_dir=tmp_path / "cache",
                   postgres=False, http=False, memory=False)  # fmt: skip
    records, facts = core(opts)

    assert {r["workload"] for r in records} == {"W1", "W2", "W3", "W4", "W5"}
    for record in records:
        missing = [k for k in report.REQUIRED if k not in record]
        assert not missing, (record["workload"], missing)
        assert record["database"] == "sqlite"
        assert record["concurrency"] is None and record["rps"] is None
        assert record["median_ms"] is not None and record["sql_statements"] > 0
        assert set(record["machine"]) >= {"cpu_model", "cores", "python"}
    by_name = {r["workload"]: r for r in records}
    assert by_name["W1"]["limit_json_equal"] is True
    assert by_name["W2"]["limit_json_equal"] is True
    assert by_name["W1"]["limit_ratio"] is not None and by_name["W1"]["twin_ratio"] is not None
    assert facts["sqlite_seed_s"] > 0

    report.write_json(records, tmp_path / "latest.json")
    assert "W1" in report.table(records)
