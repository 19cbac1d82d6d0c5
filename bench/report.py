"""The printed table, `bench/results/latest.json` and the ratios chart."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
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


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def machine() -> dict[str, Any]:
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    governors = sorted({
        g for p in Path("/sys/devices/system/cpu").glob("cpu[0-9]*/cpufreq/scaling_governor")
        if (g := _read(p))
    })  # fmt: skip
    return {"cpu_model": model, "cores": os.cpu_count(),
            "python": platform.python_version(), "platform": platform.platform(),
            # None: not visible under /sys (a VM without cpufreq)
            "governor": ",".join(governors) or None}  # fmt: skip


def conditions() -> dict[str, Any]:
    """The load average and clock at one moment (recorded at a run's start and end)."""
    mhz = []
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("cpu MHz"):
                mhz.append(round(float(line.split(":", 1)[1]), 0))
    except (OSError, ValueError):
        pass
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {"time": datetime.now(UTC).isoformat(timespec="seconds"), "loadavg": load,
            "cpu_mhz": mhz or None}  # fmt: skip


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
    """Adds `target` (text) and `met` (True/False, None without a target or when the
    record is not `stable`: an unreliable ratio is reported as such, never as met)."""
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
    if record.get("stable") is False:
        met = None
    record["met"] = met
    record.setdefault("stable", None)


def _f(value: Any, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def ratio_text(record: dict[str, Any], kind: str) -> str:
    """`1.07 (1.04-1.10)`: the median of per-round ratios and its interquartile range."""
    stats = record.get(f"{kind}_spread")
    value = record.get(f"{kind}_ratio")
    if value is None:
        return "-"
    if not stats:
        return f"{value:.2f}"
    return f"{value:.2f} ({stats['q1']:.2f}-{stats['q3']:.2f})"


def met_text(record: dict[str, Any]) -> str:
    if record.get("stable") is False:
        return "UNRELIABLE: " + "; ".join(record.get("unstable_reasons") or [])
    return "-" if record.get("met") is None else ("yes" if record["met"] else "NO")


def _rows(records: list[dict[str, Any]], short: bool = True) -> list[tuple[str, ...]]:
    rows = []
    for r in records:
        name = r["workload"] if r["workload"] != "W6" else f"W6:{r['operation']}"
        rss = r.get("peak_rss_mb")
        rss_text = "-" if rss is None else f"{rss:.0f}"
        if r.get("variant") == "memory":
            rss_text = f"+{r['growth_mb']:.0f} ({r['rss_over_response']:.1f}x resp)"
        rows.append((
            name, r["database"][:6] if short else r["database"], r["variant"],
            _f(r.get("concurrency"), "d"),
            _f(r.get("median_ms")), _f(r.get("p99_ms")), ratio_text(r, "twin"),
            ratio_text(r, "limit"), _f(r.get("sql_statements"), "d"),
            _f(r.get("round_trips"), "d"), _f(r.get("rps"), ".0f"),
            rss_text, r.get("target") or "-", met_text(r),
        ))  # fmt: skip
    return rows


HEAD = ("workload", "db", "variant", "c", "median ms", "p99 ms", "x twin (IQR)",
        "x limit (IQR)", "SQL", "RT", "req/s", "RSS MB", "target", "met")  # fmt: skip


def table(records: list[dict[str, Any]]) -> str:
    rows = [HEAD, *_rows(records)]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(HEAD))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(records: list[dict[str, Any]], inproc_only: bool = False) -> str:
    """The table as Markdown (bench/README.md): `python -m bench.report [--ratios] FILE`."""
    chosen = [r for r in records if not inproc_only or r.get("variant") == "inproc"]
    rows = [HEAD, tuple("---" for _ in HEAD), *_rows(chosen, short=False)]
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


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

    def err(kind: str) -> list[list[float]]:
        lo, hi = [], []
        for r in inproc:
            st, v = r.get(f"{kind}_spread"), r.get(f"{kind}_ratio") or 0
            lo.append(v - st["q1"] if st else 0)
            hi.append(st["q3"] - v if st else 0)
        return [lo, hi]

    fig, ax = plt.subplots(figsize=(max(6, len(inproc) * 0.9), 4.5))
    xs = range(len(inproc))
    ax.bar([x - 0.2 for x in xs], twin, width=0.4, yerr=err("twin"), capsize=2,
           label="API / no-policy twin")  # fmt: skip
    ax.bar([x + 0.2 for x in xs], limit, width=0.4, yerr=err("limit"), capsize=2,
           label="API / hand-written limit")  # fmt: skip
    ax.axhline(1.10, color="tab:blue", linestyle=":", linewidth=1, label="twin target 1.10")
    ax.axhline(3.0, color="tab:orange", linestyle=":", linewidth=1, label="W1 limit target 3.0")
    ax.set_yscale("log")
    ax.set_xticks(list(xs), labels, fontsize=8)
    ax.set_ylabel("median of per-round ratios, IQR bars (log)")
    ax.set_title(f"Ledgerline bench ratios ({records[0].get('commit', '')[:10]})")
    ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def compare(runs: list[list[dict[str, Any]]], bound: float = 0.10) -> tuple[str, bool]:
    """Markdown: each in-process ratio in every run, their median and the largest
    deviation from it; and whether every ratio stayed within `bound` of its median."""
    import statistics

    keys: list[tuple[str, str]] = []
    values: dict[tuple[str, str, str], list[float | None]] = {}
    for n, records in enumerate(runs):
        for r in records:
            if r.get("variant") != "inproc":
                continue
            key = (r["workload"], r["database"])
            if key not in keys:
                keys.append(key)
            for kind in ("twin", "limit"):
                slot = values.setdefault((*key, kind), [None] * len(runs))
                slot[n] = r.get(f"{kind}_ratio")
    head = ["workload", "db", "ratio", *[f"run {i + 1}" for i in range(len(runs))],
            "median", "largest deviation", f"within ±{bound:.0%}"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    every = True
    for workload, database in keys:
        for kind in ("twin", "limit"):
            got = values[(workload, database, kind)]
            if all(v is None for v in got):
                continue
            present = [v for v in got if v is not None]
            med = statistics.median(present)
            dev = max(abs(v - med) / med for v in present)
            ok = dev <= bound and len(present) == len(runs)
            every = every and ok
            lines.append("| " + " | ".join([
                workload, database, f"x {kind}", *["-" if v is None else f"{v:.2f}" for v in got],
                f"{med:.2f}", f"{dev:.1%}", "yes" if ok else "NO",
            ]) + " |")  # fmt: skip
    return "\n".join(lines), every


def _main(args: list[str]) -> int:
    """`python -m bench.report [--ratios] FILE...`: Markdown tables of results files;
    `python -m bench.report --compare FILE FILE FILE`: the ratios across runs."""
    load = [orjson.loads(Path(f).read_bytes()) for f in args if not f.startswith("--")]
    if "--compare" in args:
        text, every = compare(load)
        print(text)
        return 0 if every else 1
    if not load:
        load = [orjson.loads((ROOT / "bench/results/latest.json").read_bytes())]
    for records in load:
        print(markdown(records, inproc_only="--ratios" in args))
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(_main(sys.argv[1:]))
