"""Per-workload recommendation: CPU and memory requests, GPUs, risk and savings (pure functions).

CPU: the VPA estimators (:mod:`agents.rightsizing.histogram`) over the decaying histogram of per-pod
usage (fed with per-day quantile sketches), target at P95 (KRR's CPU percentile; the VPA uses P90 and
both are in the bounds), plus 15 %. A workload throttled at its limit never gets less than its recent
usage plus the margin. A workload that **peaks every day** (its raw usage reaches the window's raw P99
on at least ``daily_peak_share`` of the days: a daily batch peak of 1–3 % of the samples) is never cut
below that raw P99 — the P95 of a smoothed rate would cut the peak away — and the reason says so.
Memory: the observed peak plus 15 % (KRR), never below the histogram target and never below the peak
plus the margin. After an OOM kill the peak is the limit it died at, so the recommendation is the limit
bumped by ``OOM_BUMP`` (and at least ``OOM_MIN_BUMP_GIB`` more). GPUs: an allocated GPU whose
utilization stayed under ``GPU_IDLE_MAX_PCT`` over the recent days (``gpu_recent_days``, as the
``GpuIdleAllocated`` rule) is idle and recommended for removal, however busy it was before.
Changes under ``MIN_CHANGE`` of the current request are not worth a rollout and are kept; a value
outside its estimator bounds carries a note saying why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from agents.rightsizing.histogram import (
    CPU_BUCKETS,
    MEMORY_BUCKETS,
    SAFETY_MARGIN,
    Estimate,
    estimate,
)
from agents.rightsizing.models import (
    Action,
    Bounds,
    ConfidenceLevel,
    Pricing,
    Recommendation,
    ResourceValue,
    Risk,
    SavingsBreakdown,
)
from agents.rightsizing.usage import GIB, WorkloadUsage, histogram_of_sketches

HOURS_PER_MONTH = 730.0
MIN_HISTORY_DAYS = 1.0
CPU_TARGET_PCT = 0.95
CPU_FLOOR = 0.025  # cores (VPA: 25 millicores)
MEM_FLOOR_BYTES = 250e6  # VPA: 250 MB
OOM_BUMP = 0.20  # VPA oomBumpUpRatio 1.2
OOM_MIN_BUMP_GIB = 100 * 2**20 / GIB  # VPA oomMinBumpUp 100 MB
THROTTLED = 0.25
GPU_IDLE_MAX_PCT = 5.0
MIN_CHANGE = 0.10
CPU_STEP, MEM_STEP = 0.05, 0.25
DAILY_PEAK_SHARE = 0.8
MIN_PEAK_DAYS = 3
FULL_CONFIDENCE_DAYS = 7.0


@dataclass(frozen=True)
class DailyPeak:
    """Raw CPU usage reaching ``p99`` cores on ``days`` of ``of_days`` days: a recurring daily peak."""

    p99: float
    days: int
    of_days: int


def daily_peak(u: WorkloadUsage, share: float = DAILY_PEAK_SHARE) -> DailyPeak | None:
    """The recurring daily peak of ``u``, or None when the raw P99 is not reached on most days."""
    days = [d for d in u.cpu_days if d.raw_max is not None]
    p99 = u.cpu_p99
    if p99 is None:
        per_day = sorted(d.raw_p99 for d in days if d.raw_p99 is not None)
        p99 = per_day[len(per_day) // 2] if per_day else None
    if p99 is None or p99 <= 0 or len(days) < MIN_PEAK_DAYS:
        return None
    hit = sum(1 for d in days if (d.raw_max or 0.0) >= p99 * (1 - 1e-6))
    if hit < share * len(days):
        return None
    return DailyPeak(p99=p99, days=hit, of_days=len(days))


def confidence_of(confidence_days: float) -> tuple[float, ConfidenceLevel]:
    """(confidence 0–1, level) from the VPA confidence days: full after a week of history."""
    value = round(max(0.0, min(1.0, confidence_days / FULL_CONFIDENCE_DAYS)), 2)
    return value, "high" if value >= 0.85 else "medium" if value >= 0.4 else "low"


@dataclass(frozen=True)
class Sized:
    """Recommended per-pod values before money and risk are attached."""

    cpu: ResourceValue
    memory: ResourceValue
    gpu: ResourceValue | None
    reasons: list[str]
    confidence_days: float
    history_days: float


def _round_up(value: float, step: float) -> float:
    return round(math.ceil(round(value / step, 6)) * step, 4)


def _bounds(est: Estimate, scale: float = 1.0) -> Bounds:
    return Bounds(
        target=round(est.target / scale, 3),
        lower=round(est.lower / scale, 3),
        upper=round(est.upper / scale, 3),
    )


def _settle(current: float, proposed: float) -> float:
    """Keep the current value when the change is too small to be worth a rollout."""
    if current > 0 and abs(proposed - current) < MIN_CHANGE * current:
        return current
    return proposed


def size_cpu(
    u: WorkloadUsage, reasons: list[str], peak_share: float = DAILY_PEAK_SHARE
) -> tuple[ResourceValue, Estimate]:
    """CPU request per pod from the decaying histogram (P95 + margin), raised when throttled and
    floored at the raw P99 of a daily peak."""
    est = estimate(
        histogram_of_sketches(u.cpu_days, CPU_BUCKETS), u.step_s, target_pct=CPU_TARGET_PCT, floor=CPU_FLOOR
    )
    target, why = est.target, []
    if u.throttled_ratio is not None and u.throttled_ratio >= THROTTLED:
        recent = max(u.cpu_limit or 0.0, u.cpu_request, u.cpu_peak or 0.0)
        target = max(target, recent * (1 + SAFETY_MARGIN))
        reasons.append(
            f"CPU throttled {u.throttled_ratio:.0%} of periods: request raised above the limit it hits"
        )
        why.append("raised above the throttled limit")
    peak = daily_peak(u, peak_share)
    floor = 0.0
    if peak is not None and peak.p99 > target:
        floor = peak.p99
        reasons.append(
            f"daily peak: raw CPU reaches its P99 of {peak.p99:.2f} cores on {peak.days} of "
            f"{peak.of_days} days, so the request is floored at that P99 instead of cut below it"
        )
        why.append("floored at the raw P99 of a daily peak")
    proposed = _round_up(max(target, floor), CPU_STEP)
    value = proposed if u.cpu_request < floor else _settle(u.cpu_request, proposed)
    if value != proposed:
        why.append(f"kept: a change under {MIN_CHANGE:.0%} is not worth a rollout")
    bounds = _bounds(est)
    outside = not bounds.lower - 1e-9 <= value <= bounds.upper + 1e-9
    return ResourceValue(
        current=u.cpu_request,
        recommended=value,
        bounds=bounds,
        peak=None if u.cpu_peak is None else round(u.cpu_peak, 3),
        note=("; ".join(why) or f"rounded up to a {CPU_STEP:g}-core step") if outside else "",
    ), est


def size_memory(u: WorkloadUsage, reasons: list[str]) -> ResourceValue:
    """Memory per pod (request = limit) from the peak + margin; OOM-aware bump above the limit."""
    est = estimate(histogram_of_sketches(u.mem_days, MEMORY_BUCKETS), u.step_s, floor=MEM_FLOOR_BYTES)
    peak = max(u.mem_peak_bytes or 0.0, max((d.max_value for d in u.mem_days), default=0.0)) / GIB
    target = max(est.target / GIB, peak * (1 + SAFETY_MARGIN))
    if u.oom_events > 0:
        limit = (u.mem_limit_bytes or u.mem_request_bytes) / GIB
        bumped = max(limit * (1 + OOM_BUMP), limit + OOM_MIN_BUMP_GIB)
        target = max(target, bumped)
        reasons.append(
            f"{u.oom_events} OOM kill(s) at the {limit:.2f} GiB limit: memory bumped "
            f"{OOM_BUMP:.0%} above the limit (peak {peak:.2f} GiB)"
        )
        value = _round_up(target, MEM_STEP)
    else:
        value = _settle(u.mem_request_bytes / GIB, _round_up(target, MEM_STEP))
    value = max(value, _round_up(peak * (1 + SAFETY_MARGIN), MEM_STEP))
    bounds = _bounds(est, GIB)
    bounds = Bounds(target=value, lower=min(bounds.lower, value), upper=max(bounds.upper, value))
    return ResourceValue(
        current=round(u.mem_request_bytes / GIB, 3), recommended=value, bounds=bounds, peak=round(peak, 3)
    )


def size_gpu(u: WorkloadUsage, reasons: list[str]) -> ResourceValue | None:
    """GPUs per pod: zero when the allocated GPUs stayed idle over the recent days.

    The recent window (``u.gpu_recent_days``) decides, as the ``GpuIdleAllocated`` rule does: a GPU
    busy two weeks ago and idle since is idle. Without a recent reading the whole window decides.
    """
    if u.gpus <= 0:
        return None
    recent = u.gpu_recent_max if u.gpu_recent_max is not None else u.gpu_max
    idle = recent is not None and recent < GPU_IDLE_MAX_PCT
    if idle and recent is not None:
        span = f"the last {u.gpu_recent_days} days" if u.gpu_recent_max is not None else "the window"
        before = (
            f"; busy earlier in the window (max {u.gpu_max:.0f}%)"
            if u.gpu_max is not None and u.gpu_max >= GPU_IDLE_MAX_PCT
            else ""
        )
        reasons.append(f"{u.gpus} GPU(s) allocated, utilization max {recent:.1f}% over {span}: idle{before}")
    return ResourceValue(
        current=float(u.gpus),
        recommended=0.0 if idle else float(u.gpus),
        peak=None if u.gpu_max is None else round(u.gpu_max, 1),
    )


def size(u: WorkloadUsage, peak_share: float = DAILY_PEAK_SHARE) -> Sized | None:
    """Size one workload; None when there is less than :data:`MIN_HISTORY_DAYS` of CPU history."""
    reasons: list[str] = []
    cpu, est = size_cpu(u, reasons, peak_share)
    if est.history_days < MIN_HISTORY_DAYS or not u.mem_days:
        return None
    return Sized(
        cpu=cpu,
        memory=size_memory(u, reasons),
        gpu=size_gpu(u, reasons),
        reasons=reasons,
        confidence_days=round(est.confidence_days, 2),
        history_days=round(est.history_days, 2),
    )


def pod_monthly_cost(
    cpu: float, mem_gib: float, gpus: float, gpu_model: str | None, prices: Pricing
) -> float:
    """Monthly cost of one pod at the given unit prices."""
    gpu_price = prices.gpu_hour.get(gpu_model or "", max(prices.gpu_hour.values(), default=0.0))
    hourly = cpu * prices.cpu_core_hour + mem_gib * prices.mem_gib_hour + gpus * gpu_price
    return hourly * HOURS_PER_MONTH


def assess_risk(u: WorkloadUsage, sized: Sized) -> tuple[Risk, list[str]]:
    """Risk of applying the change: OOM history, thin headroom over peaks, short history, production."""
    points, notes = 0, []
    if u.oom_events:
        points += 3
        notes.append("OOM kills in the window")
    cpu_cut = sized.cpu.recommended < sized.cpu.current
    if cpu_cut and sized.cpu.peak and sized.cpu.peak > sized.cpu.recommended:
        points += 1
        notes.append(
            f"CPU spikes ({sized.cpu.peak:.2f} cores) exceed the new request: expect throttling at peaks"
        )
    if sized.memory.peak and sized.memory.recommended < sized.memory.peak * (1 + SAFETY_MARGIN) - 1e-9:
        points += 2
        notes.append("memory headroom over the peak below 15%")
    if sized.confidence_days < 7:
        points += 1
        notes.append(f"only {sized.confidence_days:.1f} days of history")
    if u.env == "production" and (cpu_cut or sized.memory.recommended < sized.memory.current):
        points += 1
        notes.append("production workload")
    if u.throttled_ratio is not None and u.throttled_ratio >= THROTTLED:
        points += 2
        notes.append("currently CPU-throttled")
    level: Risk = "high" if points >= 3 else "medium" if points >= 2 else "low"
    return level, notes


def build_recommendation(
    u: WorkloadUsage, prices: Pricing, peak_share: float = DAILY_PEAK_SHARE
) -> Recommendation:
    """The full recommendation for one workload (action, values, risk, rightsizing savings)."""
    sized = size(u, peak_share)
    base: dict[str, Any] = {
        "workload": u.workload,
        "namespace": u.namespace,
        "env": u.env,
        "team": u.team,
        "replicas": u.replicas,
        "evidence_ids": u.evidence_ids(),
        "oom_events": u.oom_events,
    }
    current = (
        pod_monthly_cost(u.cpu_request, u.mem_request_bytes / GIB, u.gpus, u.gpu_model, prices) * u.replicas
    )
    if sized is None:
        return Recommendation(
            **base,
            action="insufficient_history",
            confidence_days=0.0,
            history_days=0.0,
            current_monthly_cost=round(current, 2),
            reason=f"insufficient history (< {MIN_HISTORY_DAYS:g} day of usage)",
        )
    gpus = sized.gpu.recommended if sized.gpu else 0.0
    new = (
        pod_monthly_cost(sized.cpu.recommended, sized.memory.recommended, gpus, u.gpu_model, prices)
        * u.replicas
    )
    risk, risk_notes = assess_risk(u, sized)
    reason = "; ".join([*sized.reasons, _change_text(sized)])
    saving = round(current - new, 2)
    confidence, level = confidence_of(sized.confidence_days)
    return Recommendation(
        **base,
        action=_action(sized),
        changes=changes_of(sized),
        cpu=sized.cpu,
        memory_gib=sized.memory,
        gpu=sized.gpu,
        confidence_days=sized.confidence_days,
        confidence=confidence,
        confidence_level=level,
        history_days=sized.history_days,
        current_monthly_cost=round(current, 2),
        monthly_savings=saving,
        savings=SavingsBreakdown(rightsize=saving),
        risk=risk,
        risk_reasons=risk_notes,
        reason=reason,
    )


def _resources(sized: Sized) -> list[tuple[str, ResourceValue, str]]:
    out = [("CPU", sized.cpu, " cores"), ("memory", sized.memory, " GiB")]
    return out + ([("GPU", sized.gpu, "")] if sized.gpu else [])


def _action(sized: Sized) -> Action:
    """``resize`` when some resources are cut and others bumped; else ``bump``, ``cut`` or ``keep``."""
    kinds = {v.change for _, v, _ in _resources(sized)}
    if {"cut", "bump"} <= kinds:
        return "resize"
    return "bump" if "bump" in kinds else "cut" if "cut" in kinds else "keep"


def changes_of(sized: Sized) -> list[str]:
    """One line per resource: ``CPU cut 4 → 1 cores``, ``memory bump 2 → 3 GiB``, ``GPU keep 1``."""
    lines = []
    for name, v, unit in _resources(sized):
        if v.change == "keep":
            lines.append(f"{name} keep {v.current:g}{unit}")
        else:
            lines.append(f"{name} {v.change} {v.current:g} → {v.recommended:g}{unit}")
    return lines


def _change_text(sized: Sized) -> str:
    cpu = sized.cpu
    bounds = f"; bounds {cpu.bounds.lower:.2f}–{cpu.bounds.upper:.2f}" if cpu.bounds else ""
    note = f"; {cpu.note}" if cpu.note else ""
    parts = [
        f"CPU {cpu.current:g} → {cpu.recommended:g} cores (P95+15% of usage{bounds}{note})",
        f"memory {sized.memory.current:g} → {sized.memory.recommended:g} GiB "
        f"(peak {sized.memory.peak or 0:.2f} GiB + 15%)",
    ]
    if sized.gpu:
        parts.append(f"GPU {sized.gpu.current:g} → {sized.gpu.recommended:g}")
    return ", ".join(parts)
