"""The bench's statistics: per-round ratios, their median and spread, the stable flag,
the interleaving order and the sharing of full collections. No timings are asserted:
the harness runs on a fake CPU meter whose clock only the fake variants advance."""

from __future__ import annotations

import asyncio
import gc

import pytest

from bench import report
from bench.cpu import CpuMeter, Reading
from bench.harness import Rounds, batch_size, interleaved, share_full_collections
from bench.stats import per_round_ratios, quantile, ratio_fields, spread, unstable_reasons


def test_quantile_interpolates_between_ranks() -> None:
    assert quantile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5
    assert quantile([1.0, 2.0, 3.0, 4.0, 5.0], 0.25) == 2.0
    assert quantile([1.0, 2.0], 0.75) == 1.75
    assert quantile([7.0], 0.25) == 7.0
    with pytest.raises(ValueError):
        quantile([], 0.5)


def test_ratio_is_the_median_of_per_round_ratios_not_a_ratio_of_medians() -> None:
    # A slow second round hits both sides: per round the subject is 2x, 2x, 3x.
    subject = [10.0, 40.0, 9.0]
    baseline = [5.0, 20.0, 3.0]
    assert per_round_ratios(subject, baseline) == [2.0, 2.0, 3.0]
    fields = ratio_fields(subject, {"twin": baseline})
    assert fields["twin_ratio"] == 2.0
    # the ratio of the medians would say 10/5 = 2 here, but 40/20 in another order:
    assert fields["twin_spread"]["min"] == 2.0 and fields["twin_spread"]["max"] == 3.0
    with pytest.raises(ValueError):
        per_round_ratios([1.0], [1.0, 2.0])


def test_spread_reports_quartiles_min_max_and_relative_half_width() -> None:
    s = spread([1.0, 1.1, 1.2, 1.3, 1.4])
    assert s["median"] == 1.2
    assert s["q1"] == pytest.approx(1.1) and s["q3"] == pytest.approx(1.3)
    assert s["min"] == 1.0 and s["max"] == 1.4
    assert s["iqr_rel"] == pytest.approx(0.1 / 1.2)
    assert s["rounds"] == 5


def test_tight_ratios_are_stable() -> None:
    api = [3.0, 3.1, 2.9, 3.0, 3.05]
    fields = ratio_fields(api, {"twin": [2.9, 3.0, 2.8, 2.95, 2.9], "limit": [1.0] * 5})
    assert fields["stable"] is True
    assert fields["unstable_reasons"] == []
    assert fields["limit_ratio"] == 3.0


def test_a_wide_spread_is_unstable() -> None:
    fields = ratio_fields([1.0, 1.5, 2.0, 1.0, 2.0], {"twin": [1.0] * 5}, bound=0.10)
    assert fields["stable"] is False
    assert any("twin spread" in r for r in fields["unstable_reasons"])
    # the same rounds pass a looser bound
    assert ratio_fields([1.0, 1.5, 2.0, 1.0, 2.0], {"twin": [1.0] * 5}, bound=0.5)["stable"]


def test_faster_than_the_hand_written_limit_is_never_stable() -> None:
    fields = ratio_fields([0.84] * 5, {"twin": [0.8] * 5, "limit": [1.0] * 5})
    assert fields["limit_ratio"] == pytest.approx(0.84)
    assert fields["stable"] is False
    assert fields["unstable_reasons"] == ["limit ratio 0.84 < 1"]
    # below 1 against the twin is possible (the policy may skip work) and allowed
    assert unstable_reasons("twin", spread([0.9, 0.9, 0.9])) == []


def test_an_unstable_record_is_reported_unreliable_not_met() -> None:
    record = {"workload": "W1", "database": "sqlite", "variant": "inproc",
              "median_ms": 1.0, "twin_ratio": 1.0, "limit_ratio": 0.84, "stable": False,
              "unstable_reasons": ["limit ratio 0.84 < 1"]}  # fmt: skip
    report.evaluate(record)
    assert record["target"] and record["met"] is None
    assert "UNRELIABLE: limit ratio 0.84 < 1" in report.table([record])
    assert "UNRELIABLE" in report.markdown([record])
    stable = dict(record, stable=True, limit_ratio=2.0)
    report.evaluate(stable)
    assert stable["met"] is True


def test_batch_size_covers_the_round() -> None:
    assert batch_size(40.0, 0.3, 2000) == 8
    assert batch_size(0.001, 0.3, 2000) == 2000
    assert batch_size(500.0, 0.3, 2000) == 1
    assert batch_size(40.0, 0.0, 2000) == 1


def test_full_collections_are_shared_by_the_collections_that_triggered_them() -> None:
    # two rounds; the API triggered 3x the twin's young collections; one full
    # collection of 0.4 s fell in the twin's request in round 1 and none in round 2
    spent = {"api": [1.0, 0.9], "twin": [0.8, 0.4]}
    gc_rounds = {
        "api": [[30, 3, 0, 0.1, 0.0, 0.0], [30, 3, 0, 0.1, 0.0, 0.0]],
        "twin": [[9, 1, 1, 0.5, 0.4, 0.4], [10, 1, 0, 0.1, 0.0, 0.0]],
    }
    shared = share_full_collections(spent, gc_rounds, 4)
    total = sum(sum(v) for v in spent.values())
    assert sum(sum(v) for v in shared.values()) == pytest.approx(total)
    rate = 0.4 / (33 + 33 + 11 + 11)
    assert shared["api"] == pytest.approx([1.0 + 33 * rate, 0.9 + 33 * rate])
    assert shared["twin"] == pytest.approx([0.8 - 0.4 + 11 * rate, 0.4 + 11 * rate])


class FakeMeter:
    """A CPU clock that only the fake variants advance; no server processes."""

    def __init__(self) -> None:
        self.cpu = 0.0

    def refresh(self) -> None:
        pass

    def read(self) -> Reading:
        return Reading(0.0, self.cpu)

    read_end = read
    cost_s = staticmethod(CpuMeter.cost_s)
    server_s = staticmethod(CpuMeter.server_s)


@pytest.fixture
def no_gc():
    # A real collection during the test would be re-charged from real CPU time.
    gc.disable()
    yield
    gc.enable()


def test_interleaved_rounds_alternate_request_by_request_and_rotate(no_gc) -> None:
    meter, calls, drained = FakeMeter(), [], []
    costs = {"api": 0.003, "twin": 0.002, "limit": 0.001}
    slow_round = {"n": 0}

    def variant(name: str):
        async def run() -> bytes:
            calls.append(name)
            # every request of the second measured round is 5x slower (noise)
            factor = 5.0 if slow_round["n"] == 2 else 1.0
            meter.cpu += costs[name] * factor
            return b""

        return run

    async def after() -> None:
        drained.append(len(calls))
        slow_round["n"] += 1

    rounds = Rounds(rounds=4, round_s=0.006, warmup_s=0.0, warmup_calls=1)
    m = asyncio.run(interleaved({n: variant(n) for n in costs}, rounds, after=after, meter=meter))
    # warm-up: one call each, then a drain; the slowest (3 ms) sizes a round at 2 turns
    assert calls[:3] == ["api", "twin", "limit"]
    assert m.per_round == 2
    measured = calls[3:]
    assert measured[:9] == ["api", "twin", "limit", "twin", "limit", "api",
                            "limit", "api", "twin"]  # fmt: skip
    assert len(measured) == 4 * 2 * 3
    assert drained[0] == 3 and len(drained) == 5  # after the warm-up and every round
    # CPU ms per request, per round: the slow round is slow for everyone, the ratios hold
    assert m.round_costs["api"] == pytest.approx([3.0, 15.0, 3.0, 3.0])
    assert m.round_costs["limit"] == pytest.approx([1.0, 5.0, 1.0, 1.0])
    ratios = ratio_fields(m.round_costs["api"], {"twin": m.round_costs["twin"],
                                                 "limit": m.round_costs["limit"]})  # fmt: skip
    assert ratios["twin_ratio"] == pytest.approx(1.5)
    assert ratios["limit_ratio"] == pytest.approx(3.0)
    assert ratios["twin_spread"]["iqr_rel"] == pytest.approx(0.0)
    assert ratios["stable"] is True
    assert len(m.times["api"]) == 8


def test_cpu_meter_counts_our_time_and_followed_server_processes() -> None:
    start = Reading(0.0, 1.0, {10: 1_000_000, 11: 5_000_000})
    end = Reading(1.0, 1.5, {10: 3_000_000, 11: 5_000_000, 12: 9_000_000})
    # 0.5 s ours, 2 ms of server process 10, none of 11; 12 was not followed at start
    assert CpuMeter.cost_s(start, end) == pytest.approx(0.502)
    assert CpuMeter.server_s(start, end) == pytest.approx(0.002)
    assert CpuMeter(None).backends() == {}


def test_compare_flags_a_ratio_that_moved_more_than_the_bound() -> None:
    def run(twin: float, limit: float) -> list[dict]:
        return [{"workload": "W1", "database": "sqlite", "variant": "inproc",
                 "twin_ratio": twin, "limit_ratio": limit},
                {"workload": "W6", "database": "sqlite", "variant": "http-W4"}]  # fmt: skip

    text, every = report.compare([run(1.10, 3.0), run(1.12, 3.1), run(1.08, 2.9)])
    assert every is True
    assert "| W1 | sqlite | x twin | 1.10 | 1.12 | 1.08 | 1.10 | 1.8% | yes |" in text
    assert "W6" not in text
    text, every = report.compare([run(1.10, 3.0), run(1.12, 3.5), run(1.08, 2.9)])
    assert every is False
    assert "| W1 | sqlite | x limit | 3.00 | 3.50 | 2.90 | 3.00 | 16.7% | NO |" in text
