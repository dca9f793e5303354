"""Unit tests of the rightsizing math: decaying histogram, VPA bounds, OOM rule, schedules, pricing."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from agents.rightsizing.analysis import analyse
from agents.rightsizing.histogram import (
    CPU_BUCKETS,
    DAY_S,
    BucketScheme,
    DecayingHistogram,
    confidence_multipliers,
    estimate,
    histogram_of,
)
from agents.rightsizing.models import Pricing
from agents.rightsizing.pricing import gpu_key, pricing_from_compute_costs
from agents.rightsizing.recommend import OOM_BUMP, build_recommendation, size_memory
from agents.rightsizing.schedule import detect_off_hours, profile_of_points
from agents.rightsizing.usage import GIB, WindowSketch, WorkloadUsage

PRICES = Pricing(cpu_core_hour=0.03, mem_gib_hour=0.004, gpu_hour={"A10G": 0.9}, source="billing")
T0 = 1_700_000_000.0


def _sketches(days: int, levels: list[tuple[float, float]], end: float = T0) -> list[WindowSketch]:
    return [
        WindowSketch(
            start_ts=end - (d + 1) * DAY_S, end_ts=end - d * DAY_S, quantiles=tuple(levels), samples=288
        )
        for d in range(days)
    ]


def _usage(days: int = 14, *, cpu: float = 0.5, mem_gib: float = 2.0, **kw: object) -> WorkloadUsage:
    spread = [(cpu * f, 0.1) for f in (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4)]
    mem = [(mem_gib * GIB * f, 0.1) for f in (0.8, 0.85, 0.9, 0.92, 0.94, 0.96, 0.98, 1.0, 1.0, 1.0)]
    base: dict[str, object] = {
        "workload": "w",
        "namespace": "ns",
        "cpu_request": 4.0,
        "mem_request_bytes": 16 * GIB,
        "mem_limit_bytes": 16 * GIB,
        "cpu_days": _sketches(days, spread),
        "mem_days": _sketches(days, mem),
        "mem_peak_bytes": mem_gib * GIB,
    }
    base.update(kw)
    return WorkloadUsage(**base)  # type: ignore[arg-type]


def test_buckets_are_exponential_and_contain_their_values():
    scheme = BucketScheme(first_bucket_size=0.01, ratio=1.05, max_value=1000)
    for value in (0.0, 0.005, 0.01, 0.5, 3.7, 999.0):
        b = scheme.find_bucket(value)
        assert scheme.bucket_start(b) <= value < scheme.bucket_start(b + 1)
    assert scheme.bucket_start(2) - scheme.bucket_start(1) == pytest.approx(0.0105)


def test_percentile_is_the_upper_edge_of_the_bucket_reaching_the_fraction():
    hist = histogram_of([(T0 + i, float(v)) for i, v in enumerate(range(1, 101))], CPU_BUCKETS)
    p90 = hist.percentile(0.9)
    assert 90 <= p90 <= 90 * 1.05 + 0.01
    assert hist.percentile(0.5) < p90 < hist.percentile(0.99)


def test_half_life_halves_the_weight_of_older_samples():
    hist = DecayingHistogram(CPU_BUCKETS)
    hist.add(1.0, T0)
    hist.add(10.0, T0 + DAY_S)  # one half-life later: twice the weight of the first sample
    w_old = hist.weights[CPU_BUCKETS.find_bucket(1.0)]
    w_new = hist.weights[CPU_BUCKETS.find_bucket(10.0)]
    assert w_new / w_old == pytest.approx(2.0)
    assert hist.percentile(0.34) == CPU_BUCKETS.bucket_start(CPU_BUCKETS.find_bucket(10.0) + 1)


def test_reference_shift_keeps_relative_weights():
    hist = DecayingHistogram(CPU_BUCKETS, half_life_s=1.0)
    hist.add(1.0, 0.0)
    hist.add(2.0, 150.0)  # exponent 150 > 100: reference moves, the old sample becomes negligible
    assert hist.percentile(0.5) == CPU_BUCKETS.bucket_start(CPU_BUCKETS.find_bucket(2.0) + 1)


def test_confidence_multipliers_widen_with_short_history():
    low_1, up_1 = confidence_multipliers(1.0)
    low_14, up_14 = confidence_multipliers(14.0)
    assert up_1 == pytest.approx(2.0)
    assert up_14 == pytest.approx(1 + 1 / 14)
    assert low_1 < low_14 < 1.0


def test_bounds_widen_when_history_is_short():
    spread = [(v, 0.1) for v in (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4)]
    hist_long = DecayingHistogram(CPU_BUCKETS)
    for sk in _sketches(14, spread):
        hist_long.add_distribution(sk.quantiles, sk.start_ts, sk.end_ts, sk.samples)
    hist_short = DecayingHistogram(CPU_BUCKETS)
    for sk in _sketches(1, spread):
        hist_short.add_distribution(sk.quantiles, sk.start_ts, sk.end_ts, sk.samples)
    long, short = estimate(hist_long, 300), estimate(hist_short, 300)
    assert long.confidence_days == pytest.approx(14.0)
    assert short.confidence_days == pytest.approx(1.0)
    assert short.target == pytest.approx(long.target)  # same distribution, same target
    assert short.upper > long.upper * 1.5 and short.lower < long.lower
    assert long.lower <= long.target <= long.upper
    assert long.target >= 1.3 * 1.15  # P90 of the spread plus the 15% margin


def test_over_provisioned_workload_gets_a_cut_with_savings():
    rec = build_recommendation(_usage(), PRICES)
    assert rec.action == "cut"
    assert rec.cpu is not None and rec.cpu.recommended < 4.0
    assert rec.cpu.recommended >= 0.5 * 1.4 * 1.15  # P95 of the spread (top level 0.7 cores) + 15%
    assert rec.memory_gib is not None and 2.0 * 1.15 <= rec.memory_gib.recommended < 16
    expected = ((4.0 - rec.cpu.recommended) * 0.03 + (16 - rec.memory_gib.recommended) * 0.004) * 730
    assert rec.monthly_savings == pytest.approx(expected, abs=0.01)


def test_oom_workload_is_bumped_above_its_limit_and_never_below_its_peak():
    u = _usage(mem_gib=16.0, oom_events=3, mem_peak_bytes=16 * GIB)
    mem = size_memory(u, [])
    assert mem.recommended >= 16 * (1 + OOM_BUMP) - 1e-9
    assert mem.peak is not None and mem.recommended >= mem.peak
    rec = build_recommendation(u, PRICES)
    # CPU is cut (4 cores requested, 0.5 used) while memory is bumped: a mixed resize, not a "bump"
    assert rec.action == "resize" and rec.risk == "high"
    assert rec.memory_gib is not None and rec.memory_gib.recommended > rec.memory_gib.current
    assert rec.changes[0].startswith("CPU cut 4 → ") and rec.changes[1].startswith("memory bump 16 → ")


def test_oom_bump_uses_the_peak_when_it_exceeds_the_bumped_limit():
    u = _usage(mem_gib=30.0, oom_events=1, mem_peak_bytes=30 * GIB, mem_limit_bytes=16 * GIB)
    assert size_memory(u, []).recommended >= 30 * 1.15


def test_short_history_gives_no_recommendation():
    u = _usage(days=0)
    u.cpu_days = [WindowSketch(start_ts=T0 - 6 * 3600, end_ts=T0, quantiles=((0.5, 1.0),), samples=72)]
    rec = build_recommendation(u, PRICES)
    assert rec.action == "insufficient_history" and rec.monthly_savings == 0
    assert "insufficient history" in rec.reason


def test_idle_gpu_is_removed_and_counted_as_decommission():
    u = _usage(gpus=1, gpu_model="A10G", gpu_avg=0.1, gpu_max=0.8)
    report = analyse([u], PRICES, run_id="r", now=datetime.now(ZoneInfo("UTC")), window_days=14)
    rec = report.recommendations[0]
    assert rec.gpu is not None and rec.gpu.recommended == 0
    assert rec.savings.decommission == pytest.approx(0.9 * 730, abs=0.01)
    assert [d.kind for d in report.decommission] == ["gpu"]
    assert report.totals.monthly_savings == pytest.approx(rec.monthly_savings)


def test_busy_gpu_is_kept():
    rec = build_recommendation(_usage(gpus=1, gpu_model="A10G", gpu_avg=60, gpu_max=100), PRICES)
    assert rec.gpu is not None and rec.gpu.recommended == 1


def _office_points(days: int = 14) -> list[tuple[float, float]]:
    tz = ZoneInfo("America/Sao_Paulo")
    start = datetime(2026, 11, 2, tzinfo=tz).timestamp()  # a Monday
    points = []
    for i in range(days * 24 * 4):
        ts = start + i * 900
        local = datetime.fromtimestamp(ts, tz)
        busy = local.weekday() < 5 and 9 <= local.hour < 18
        points.append((ts, 1.0 if busy else 0.01))
    return points


def test_office_hours_pattern_gives_a_weekday_schedule():
    pattern = detect_off_hours(profile_of_points(_office_points(), "America/Sao_Paulo"))
    assert pattern is not None
    assert (pattern.start_hour, pattern.end_hour, pattern.weekends_idle) == (9, 18, True)
    assert pattern.scale_down_cron == "0 18 * * 1-5" and pattern.scale_up_cron == "0 9 * * 1-5"
    assert pattern.off_share == pytest.approx((5 * 15 + 48) / 168)


def test_flat_usage_has_no_off_hours_pattern():
    flat = [(ts, 0.5) for ts, _ in _office_points()]
    assert detect_off_hours(profile_of_points(flat, "America/Sao_Paulo")) is None
    short = profile_of_points(_office_points(days=2), "America/Sao_Paulo")
    assert detect_off_hours(short) is None  # too little history


def test_schedule_only_for_non_production():
    profile = profile_of_points(_office_points())
    hours = {h: v for h, v in profile.weekday.items()} | {-1: profile.weekend or 0.0}
    prod = analyse(
        [_usage(hour_profile=hours)], PRICES, run_id="r", now=datetime.now(ZoneInfo("UTC")), window_days=14
    )
    dev = analyse(
        [_usage(hour_profile=hours, env="dev")],
        PRICES,
        run_id="r",
        now=datetime.now(ZoneInfo("UTC")),
        window_days=14,
    )
    assert not prod.schedules and len(dev.schedules) == 1
    rec = dev.recommendations[0]
    assert rec.savings.schedule == dev.schedules[0].monthly_savings > 0
    assert dev.totals.monthly_savings == pytest.approx(
        rec.savings.rightsize + rec.savings.schedule, abs=0.011
    )


def test_pricing_reads_classified_compute_lines_largest_quantity_first():
    lines = [
        {"resource": "cpu", "effective_cost_per_unit": "0.0335", "quantity": "100", "currency": "USD"},
        {"resource": "memory", "effective_cost_per_unit": "0.0045", "quantity": "400"},
        {"resource": "gpu", "gpu_model": "A10G", "effective_cost_per_unit": "0.87", "quantity": "10"},
        {"resource": "gpu", "gpu_model": "A10G", "effective_cost_per_unit": "1.75", "quantity": "6"},
        {"resource": "instance", "effective_cost_per_unit": "0.3", "quantity": "1000"},
    ]
    pricing = pricing_from_compute_costs({"lines": lines}, "E7")
    assert pricing is not None and pricing.source == "billing" and pricing.evidence_ids == ["E7"]
    assert (pricing.cpu_core_hour, pricing.mem_gib_hour, pricing.gpu_hour) == (0.0335, 0.0045, {"A10G": 0.87})
    assert pricing_from_compute_costs({"lines": lines[2:]}) is None  # no CPU / memory lines
    assert gpu_key("NVIDIA A10G") == gpu_key("nvidia-a10g") == "A10G" and gpu_key("Tesla T4") == "T4"
