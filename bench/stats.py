"""Statistics of interleaved rounds: per-round ratios, their median and spread, stability.

A round runs every variant of a workload once for a block of requests (API, twin, limit,
in rotating order). Its ratio is the API's mean time per request in that round over the
baseline's in the same round, so noise that lasts a round hits both sides of the ratio.
The reported ratio is the median of the per-round ratios (not a ratio of medians), with
its interquartile range and min-max beside it.

A ratio is *stable* when its interquartile range lies within `bound` (relative) of its
median; a ratio against the hand-written limit below 1.0 is never stable (the API cannot
be faster than the hand-written query doing the same work: something else was measured).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

SPREAD_BOUND = 0.10  # the quartiles of the per-round ratios within ±10% of their median


def quantile(values: Sequence[float], q: float) -> float:
    """Linear-interpolation quantile (numpy's default, `statistics.quantiles` inclusive)."""
    if not values:
        raise ValueError("quantile of no values")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def per_round_ratios(subject: Sequence[float], baseline: Sequence[float]) -> list[float]:
    """Round by round: the subject's mean time over the baseline's (same round)."""
    if len(subject) != len(baseline):
        raise ValueError("subject and baseline ran a different number of rounds")
    return [s / b for s, b in zip(subject, baseline, strict=True) if b > 0]


def spread(ratios: Sequence[float]) -> dict[str, float]:
    """Median, quartiles, min-max and the relative half-width of the spread."""
    med = statistics.median(ratios)
    q1, q3 = quantile(ratios, 0.25), quantile(ratios, 0.75)
    return {
        "median": med,
        "q1": q1,
        "q3": q3,
        "min": min(ratios),
        "max": max(ratios),
        # the larger distance of a quartile from the median, relative to the median
        "iqr_rel": max(med - q1, q3 - med) / med if med else float("inf"),
        "rounds": len(ratios),
    }


def unstable_reasons(
    kind: str, stats: dict[str, float] | None, bound: float = SPREAD_BOUND
) -> list[str]:
    """Why a ratio (`kind` "twin" or "limit") cannot be trusted; empty when it can."""
    if stats is None:
        return []
    reasons = []
    if kind == "limit" and stats["median"] < 1.0:
        reasons.append(f"{kind} ratio {stats['median']:.2f} < 1")
    if stats["iqr_rel"] > bound:
        reasons.append(f"{kind} spread ±{stats['iqr_rel']:.1%} > ±{bound:.0%}")
    return reasons


def ratio_fields(
    subject: Sequence[float], baselines: dict[str, Sequence[float]], bound: float = SPREAD_BOUND
) -> dict[str, Any]:
    """Record fields for a workload: `<kind>_ratio`, `<kind>_spread`, `stable`, reasons.

    `subject` and each baseline are per-round mean times (ms per request), in round order.
    """
    out: dict[str, Any] = {}
    reasons: list[str] = []
    for kind in ("twin", "limit"):
        times = baselines.get(kind)
        stats = spread(per_round_ratios(subject, times)) if times else None
        out[f"{kind}_ratio"] = stats["median"] if stats else None
        out[f"{kind}_spread"] = stats
        reasons += unstable_reasons(kind, stats, bound)
    out["stable"] = not reasons
    out["unstable_reasons"] = reasons
    out["spread_bound"] = bound
    return out
