"""The printed table, `bench/results/latest.json` and the ratios chart."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path
from typing import Any

import orjson

from bench.config import HTTP_TARGETS, ROOT, TARGETS

REQUIRED = ("workload", "database", "concurrency", "median_ms", "p99_ms", "twin_ratio",
            "limit_ratio", "sql_statements", "rps", "peak_rss_mb", "commit", "machine")  # fmt: skip


def commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, check=True)  # fmt: skip
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine() -> dict[str, Any]:
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu_model": model, "cores": os.cpu_count(),
            "python": platform.python_version(), "platform": platform.platform()}  # fmt: skip


def _targets_for(record: dict[str, Any]) -> list[tuple[str, str, float]]:
    if record.get("variant") == "inproc":
        found = list(TARGETS.get((record["workload"], "inproc"), []))
        if record["database"] == "sqlite":
            found += TARGETS.get((record["workload"], "inproc-sqlite"), [])
        return found
    if record.get("variant") == "memory":
        return TARGETS.get(("W1", "memory"), [])
    if record["workload"] == "W6" and record["database"] == "postgresql":
        return HTTP_TARGETS.get((record["operation"], record["concurrency"]), [])
    return []


def evaluate(record: dict[str, Any]) -> None:
    """Adds `target` (text) and `met` (True/False, None without a target)."""
    targets = _targets_for(record)
    texts, met = [], None
    for metric, op, bound in targets:
        value = record.get(metric)
        texts.append(f"{metric.replace('_ratio', '').replace('_ms', '')}{op}{bound:g}")
        if value is None:
            continue
        ok = value <= bound if op == "<=" else value >= bound
        met = ok if met is None else (met and ok)
    record["target"] = ", ".join(texts) or None
    record["met"] = met


def _f(value: Any, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def table(records: list[dict[str, Any]]) -> str:
    head = ("workload", "db", "variant", "c", "median ms", "p99 ms", "x twin", "x limit",
            "SQL", "req/s", "RSS MB", "target", "met")  # fmt: skip
    rows = [head]
    for r in records:
        name = r["workload"] if r["workload"] != "W6" else f"W6:{r['operation']}"
        rss = r.get("peak_rss_mb")
        rss_text = "-" if rss is None else f"{rss:.0f}"
        if r.get("variant") == "memory":
            rss_text = f"+{r['growth_mb']:.0f} ({r['rss_over_response']:.1f}x resp)"
        rows.append((
            name, r["database"][:6], r["variant"], _f(r.get("concurrency"), "d"),
            _f(r.get("median_ms")), _f(r.get("p99_ms")), _f(r.get("twin_ratio")),
            _f(r.get("limit_ratio")), _f(r.get("sql_statements"), "d"), _f(r.get("rps"), ".0f"),
            rss_text, r.get("target") or "-",
            "-" if r.get("met") is None else ("yes" if r["met"] else "NO"),
        ))  # fmt: skip
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(head))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write_json(records: list[dict[str, Any]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(records, option=orjson.OPT_INDENT_2) + b"\n")


def chart(records: list[dict[str, Any]], path: Path) -> bool:
    """Bar chart of twin and limit ratios per in-process workload and database."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    inproc = [r for r in records if r.get("variant") == "inproc"]
    if not inproc:
        return False
    labels = [f"{r['workload']}\n{r['database'][:6]}" for r in inproc]
    twin = [r["twin_ratio"] or 0 for r in inproc]
    limit = [r["limit_ratio"] or 0 for r in inproc]
    fig, ax = plt.subplots(figsize=(max(6, len(inproc) * 0.9), 4.5))
    xs = range(len(inproc))
    ax.bar([x - 0.2 for x in xs], twin, width=0.4, label="API / no-policy twin")
    ax.bar([x + 0.2 for x in xs], limit, width=0.4, label="API / hand-written limit")
    ax.axhline(1.10, color="tab:blue", linestyle=":", linewidth=1, label="twin target 1.10")
    ax.axhline(3.0, color="tab:orange", linestyle=":", linewidth=1, label="W1 limit target 3.0")
    ax.set_yscale("log")
    ax.set_xticks(list(xs), labels, fontsize=8)
    ax.set_ylabel("ratio of medians (log)")
    ax.set_title(f"Ledgerline bench ratios ({records[0].get('commit', '')[:10]})")
    ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
