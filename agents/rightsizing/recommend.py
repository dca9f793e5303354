"""Per-workload recommendation: CPU and memory requests, GPUs, risk and savings (pure functions).

CPU: the VPA estimators (:mod:`agents.rightsizing.histogram`) over the decaying histogram of per-pod
usage (fed with per-day quantile sketches), target at P95 (KRR's CPU percentile; the VPA uses P90 and both are in the bounds), plus 15 %.
A workload throttled at its limit never gets less than its recent usage plus the margin.
Memory: the observed peak plus 15 % (KRR), never below the histogram target. After an OOM kill the
peak is the limit it died at, so the recommendation is the limit bumped by ``OOM_BUMP`` (and at least
``OOM_MIN_BUMP_GIB`` more) — never below the peak. GPUs: an allocated GPU whose utilization never
reached ``GPU_IDLE_MAX_PCT`` over the window is idle and recommended for removal.
Changes under ``MIN_CHANGE`` of the current request are not worth a rollout and are kept.
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


def size_cpu(u: WorkloadUsage, reasons: list[str]) -> tuple[ResourceValue, Estimate]:
    """CPU request per pod from the decaying histogram (P95 + margin), raised when throttled."""
    est = estimate(
        histogram_of_sketches(u.cpu_days, CPU_BUCKETS), u.step_s, target_pct=CPU_TARGET_PCT, floor=CPU_FLOOR
    )
    target = est.target
    if u.throttled_ratio is not None and u.throttled_ratio >= THROTTLED:
        recent = max(u.cpu_limit or 0.0, u.cpu_request, u.cpu_peak or 0.0)
        target = max(target, recent * (1 + SAFETY_MARGIN))
        reasons.append(
            f"CPU throttled {u.throttled_ratio:.0%} of periods: request raised above the limit it hits"
        )
    value = _settle(u.cpu_request, _round_up(target, CPU_STEP))
    return ResourceValue(
        current=u.cpu_request,
        recommended=value,
        bounds=_bounds(est),
        peak=None if u.cpu_peak is None else round(u.cpu_peak, 3),
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
    value = max(value, _round_up(peak, MEM_STEP))
    bounds = _bounds(est, GIB)
    bounds = Bounds(target=value, lower=min(bounds.lower, value), upper=max(bounds.upper, value))
    return ResourceValue(
        current=round(u.mem_request_bytes / GIB, 3), recommended=value, bounds=bounds, peak=round(peak, 3)
    )


def size_gpu(u: WorkloadUsage, reasons: list[str]) -> ResourceValue | None:
    """GPUs per pod: zero when the allocated GPUs stayed idle over the whole window."""
    if u.gpus <= 0:
        return None
    idle = u.gpu_max is not None and u.gpu_max < GPU_IDLE_MAX_PCT
    if idle:
        reasons.append(
            f"{u.gpus} GPU(s) allocated, utilization avg {u.gpu_avg or 0:.1f}% / max {u.gpu_max:.1f}%: idle"
        )
    return ResourceValue(
        current=float(u.gpus),
        recommended=0.0 if idle else float(u.gpus),
        peak=None if u.gpu_max is None else round(u.gpu_max, 1),
    )


def size(u: WorkloadUsage) -> Sized | None:
    """Size one workload; None when there is less than :data:`MIN_HISTORY_DAYS` of CPU history."""
    reasons: list[str] = []
    cpu, est = size_cpu(u, reasons)
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


def build_recommendation(u: WorkloadUsage, prices: Pricing) -> Recommendation:
    """The full recommendation for one workload (action, values, risk, rightsizing savings)."""
    sized = size(u)
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
    action = _action(sized)
    reason = "; ".join([*sized.reasons, _change_text(sized)])
    saving = round(current - new, 2)
    return Recommendation(
        **base,
        action=action,
        cpu=sized.cpu,
        memory_gib=sized.memory,
        gpu=sized.gpu,
        confidence_days=sized.confidence_days,
        history_days=sized.history_days,
        current_monthly_cost=round(current, 2),
        monthly_savings=saving,
        savings=SavingsBreakdown(rightsize=saving),
        risk=risk,
        risk_reasons=risk_notes,
        reason=reason,
    )


def _action(sized: Sized) -> Action:
    values = [sized.cpu, sized.memory, *([sized.gpu] if sized.gpu else [])]
    if any(v.recommended > v.current for v in values):
        return "bump"
    if any(v.recommended < v.current for v in values):
        return "cut"
    return "keep"


def _change_text(sized: Sized) -> str:
    parts = [
        f"CPU {sized.cpu.current:g} → {sized.cpu.recommended:g} cores "
        f"(P95+15% of usage; bounds {sized.cpu.bounds.lower:.2f}–{sized.cpu.bounds.upper:.2f})"
        if sized.cpu.bounds
        else f"CPU {sized.cpu.current:g} → {sized.cpu.recommended:g}",
        f"memory {sized.memory.current:g} → {sized.memory.recommended:g} GiB (peak {sized.memory.peak or 0:.2f} GiB)",
    ]
    if sized.gpu:
        parts.append(f"GPU {sized.gpu.current:g} → {sized.gpu.recommended:g}")
    return ", ".join(parts)
