"""Decommission candidates and off-hours schedules, folded into the per-workload recommendations.

- **workload**: no request traffic over the window (no request counter, or zero requests) and CPU P95
  under ``IDLE_CPU_SHARE`` of its request — it is running, and doing nothing. The saving is its whole cost.
- **gpu**: GPUs allocated and idle over the recent days (see
  :func:`agents.rightsizing.recommend.size_gpu`); the saving is the GPU-hours, moved from the
  rightsizing column to the decommission column.
- **model_version**: a served model version that had requests earlier in the window and none in the last
  day (the traffic moved to another version but the version is still deployed); no direct saving.
- **schedule**: non-production workloads idle on nights / weekends get a scale-to-zero schedule worth the
  post-rightsizing cost times the share of the week scaled down; the schedule never scales down inside
  the configured business hours (``REFERENT_BUSINESS_HOURS`` in ``REFERENT_TIMEZONE``).
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.rightsizing.histogram import CPU_BUCKETS
from agents.rightsizing.models import DecommissionCandidate, Pricing, Recommendation, ScheduleChange
from agents.rightsizing.pricing import gpu_key
from agents.rightsizing.recommend import HOURS_PER_MONTH, pod_monthly_cost
from agents.rightsizing.schedule import HourProfile, detect_off_hours
from agents.rightsizing.settings import BusinessCalendar
from agents.rightsizing.usage import WorkloadUsage, histogram_of_sketches

IDLE_CPU_SHARE = 0.05
SCHEDULABLE_ENVS = frozenset({"dev", "staging"})


@dataclass(frozen=True)
class VersionTraffic:
    """Requests of one served model version over the window and over the last day."""

    namespace: str
    service: str
    model: str
    version: str
    window_requests: float
    recent_requests: float
    evidence_ids: tuple[str, ...] = ()


def _gpu_price(u: WorkloadUsage, prices: Pricing) -> float:
    return prices.gpu_hour.get(gpu_key(u.gpu_model), max(prices.gpu_hour.values(), default=0.0))


def idle_workload(u: WorkloadUsage) -> bool:
    """No traffic and CPU P95 under :data:`IDLE_CPU_SHARE` of the request (GPU workloads excluded)."""
    if u.gpus or not u.cpu_days or u.cpu_request <= 0:
        return False
    if u.requests_total is not None and u.requests_total > 0:
        return False
    p95 = histogram_of_sketches(u.cpu_days, CPU_BUCKETS).percentile(0.95)
    return p95 < IDLE_CPU_SHARE * u.cpu_request


def apply_decommission(
    u: WorkloadUsage, rec: Recommendation, prices: Pricing
) -> DecommissionCandidate | None:
    """Mark ``rec`` for decommission (whole workload or its idle GPUs); return the candidate."""
    if rec.action == "insufficient_history":
        return None
    if idle_workload(u):
        traffic = "no request counter" if u.requests_total is None else "0 requests"
        detail = (
            f"{traffic} in the window and CPU P95 under {IDLE_CPU_SHARE:.0%} of its "
            f"{u.cpu_request:g}-core request: nothing uses it"
        )
        rec.action = "decommission"
        rec.savings.rightsize, rec.savings.decommission = 0.0, rec.current_monthly_cost
        rec.monthly_savings = rec.savings.total
        rec.reason = f"decommission: {detail}"
        return DecommissionCandidate(
            kind="workload",
            workload=u.workload,
            namespace=u.namespace,
            detail=detail,
            monthly_savings=rec.current_monthly_cost,
            evidence_ids=rec.evidence_ids,
        )
    if rec.gpu is not None and rec.gpu.recommended < rec.gpu.current:
        removed = (rec.gpu.current - rec.gpu.recommended) * u.replicas
        saving = round(removed * _gpu_price(u, prices) * HOURS_PER_MONTH, 2)
        rec.savings.rightsize = round(rec.savings.rightsize - saving, 2)
        rec.savings.decommission = saving
        if u.gpu_recent_max is not None:
            detail = (
                f"{removed:g} {u.gpu_model or 'GPU'} allocated, utilization avg {u.gpu_recent_avg or 0:.1f}% / "
                f"max {u.gpu_recent_max:.1f}% over the last {u.gpu_recent_days} days "
                f"(max {u.gpu_max or 0:.1f}% over the window)"
            )
        else:
            detail = (
                f"{removed:g} {u.gpu_model or 'GPU'} allocated, utilization avg {u.gpu_avg or 0:.1f}% / "
                f"max {u.gpu_max or 0:.1f}% over the window"
            )
        return DecommissionCandidate(
            kind="gpu",
            workload=u.workload,
            namespace=u.namespace,
            detail=detail,
            monthly_savings=saving,
            evidence_ids=rec.evidence_ids,
        )
    return None


def apply_schedule(
    u: WorkloadUsage, rec: Recommendation, prices: Pricing, calendar: BusinessCalendar | None = None
) -> ScheduleChange | None:
    """Propose scale-to-zero off hours for an idle-at-night non-production workload."""
    calendar = calendar or BusinessCalendar()
    if rec.action in {"decommission", "insufficient_history"} or u.env not in SCHEDULABLE_ENVS:
        return None
    weekday = {h: v for h, v in u.hour_profile.items() if h >= 0}
    profile = HourProfile(weekday=weekday, weekend=u.hour_profile.get(-1), history_days=rec.history_days)
    pattern = detect_off_hours(profile, tz_name=calendar.timezone, business_hours=calendar.hours)
    if pattern is None:
        return None
    cpu = rec.cpu.recommended if rec.cpu else u.cpu_request
    mem = rec.memory_gib.recommended if rec.memory_gib else u.mem_request_bytes / 2**30
    gpus = rec.gpu.recommended if rec.gpu else 0.0
    after = pod_monthly_cost(cpu, mem, gpus, gpu_key(u.gpu_model), prices) * u.replicas
    saving = round(after * pattern.off_share, 2)
    rec.savings.schedule = saving
    if rec.action == "keep":
        rec.action = "schedule"
    rec.reason = (
        f"{rec.reason}; idle off hours (mean {pattern.idle_mean:.2f} vs {pattern.busy_mean:.2f} "
        f"cores in {pattern.start_hour:02d}:00-{pattern.end_hour:02d}:00 {pattern.timezone}): "
        f"scale to zero {pattern.off_share:.0%} of the week"
    )
    return ScheduleChange(
        workload=u.workload,
        namespace=u.namespace,
        timezone=pattern.timezone,
        scale_down_cron=pattern.scale_down_cron,
        scale_up_cron=pattern.scale_up_cron,
        off_hours_share=round(pattern.off_share, 3),
        busy_usage=round(pattern.busy_mean, 3),
        idle_usage=round(pattern.idle_mean, 3),
        monthly_savings=saving,
        evidence_ids=rec.evidence_ids,
    )


def stale_versions(traffic: list[VersionTraffic]) -> list[DecommissionCandidate]:
    """Model versions that served requests in the window but none in the last day."""
    out = []
    for t in traffic:
        if t.window_requests > 0 and t.recent_requests <= 0:
            out.append(
                DecommissionCandidate(
                    kind="model_version",
                    workload=t.service,
                    namespace=t.namespace,
                    detail=f"{t.model} v{t.version}: {t.window_requests:,.0f} requests in the window, 0 in the last day",
                    evidence_ids=list(t.evidence_ids),
                )
            )
    return out
