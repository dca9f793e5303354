"""Saturation of the target workloads: CPU throttling and usage vs limit, memory vs limit, restarts,
OOMKilled terminations, and GPUs allocated but idle.

Signals (all over the "recent" part of the window, i.e. since the incident start):

* ``cpu_throttled``: mean share of throttled CFS periods ≥ :data:`THROTTLED`;
* ``cpu_at_limit``: mean CPU usage / limit ≥ :data:`NEAR_LIMIT`;
* ``memory_near_limit``: peak working set / limit ≥ :data:`NEAR_LIMIT`;
* ``restarts``: container restarts increased; ``oom_killed``: last termination reason OOMKilled;
* ``gpu_idle``: GPUs requested while DCGM utilization stayed under :data:`GPU_IDLE_PCT` for 24h.

A workload's series are selected by its pods when the owner references named them (the container may be
called anything), else by a container of the workload's name.
"""

from __future__ import annotations

import re

from agents.triage.collectors.base import CollectorContext, annotate, query_instant, query_recent, selector
from agents.triage.findings import Finding
from agents.triage.kinds.base import Signal
from agents.triage.models import Culprit

THROTTLED = 0.25
NEAR_LIMIT = 0.9
GPU_IDLE_PCT = 5.0
MAX_WORKLOADS = 3


def _recent(cx: CollectorContext, promql: str, summary: str) -> tuple[str | None, float, float]:
    """Evidence id, mean and peak of the series since the incident start (0 when there is no data)."""
    ev, views = query_recent(cx, promql, summary)
    means = [v.mean for v in views if v.mean is not None]
    peaks = [v.maximum for v in views if v.maximum is not None]
    mean, peak = (max(means) if means else 0.0), (max(peaks) if peaks else 0.0)
    annotate(ev, {"recent_mean": round(mean, 4), "recent_max": round(peak, 4)} if views else "no data")
    return (ev.id if ev else None), mean, peak


def _finding(
    signal: Signal, subject: Culprit, ev: str | None, value: float, strength: float, detail: str
) -> Finding:
    return Finding(
        signal=signal,
        subject=subject,
        evidence=[ev] if ev else [],
        value=round(value, 4),
        strength=max(0.0, min(1.0, strength)),
        detail=detail,
    )


def _cpu(cx: CollectorContext, workload: str, sel: str, subject: Culprit) -> list[Finding]:
    out: list[Finding] = []
    ev, mean, _ = _recent(
        cx,
        f"sum(increase(container_cpu_cfs_throttled_periods_total{sel}[15m]))"
        f" / sum(increase(container_cpu_cfs_periods_total{sel}[15m]))",
        f"CPU throttled share of {workload}",
    )
    if mean >= THROTTLED:
        out.append(
            _finding(
                Signal.CPU_THROTTLED, subject, ev, mean, mean / 0.5, f"{mean:.0%} of CFS periods throttled"
            )
        )
    limit_sel = sel[:-1] + ',resource="cpu"}'
    ev, mean, _ = _recent(
        cx,
        f"sum(rate(container_cpu_usage_seconds_total{sel}[15m])) / sum(kube_pod_container_resource_limits{limit_sel})",
        f"CPU usage / limit of {workload}",
    )
    if mean >= NEAR_LIMIT:
        out.append(_finding(Signal.CPU_AT_LIMIT, subject, ev, mean, 1.0, f"CPU at {mean:.0%} of its limit"))
    return out


def _memory(cx: CollectorContext, workload: str, sel: str, subject: Culprit) -> list[Finding]:
    out: list[Finding] = []
    limit_sel = sel[:-1] + ',resource="memory"}'
    ev, _, peak = _recent(
        cx,
        f"max(container_memory_working_set_bytes{sel} / on (namespace, pod, container) "
        f"kube_pod_container_resource_limits{limit_sel})",
        f"memory working set / limit of {workload}",
    )
    if peak >= NEAR_LIMIT:
        out.append(
            _finding(
                Signal.MEMORY_NEAR_LIMIT, subject, ev, peak, 1.0, f"memory peaked at {peak:.0%} of its limit"
            )
        )
    ev, _, top = _recent(
        cx,
        f"sum(increase(kube_pod_container_status_restarts_total{sel}[1h]))",
        f"restarts of {workload} (per hour)",
    )
    if top >= 1:
        out.append(_finding(Signal.RESTARTS, subject, ev, top, top / 3, f"{top:.0f} restarts in an hour"))
    oom_sel = sel[:-1] + ',reason="OOMKilled"}'
    ev, _, oomed = _recent(
        cx,
        f"max(max_over_time(kube_pod_container_status_last_terminated_reason{oom_sel}[1h]))",
        f"last termination reason OOMKilled of {workload}",
    )
    if oomed >= 1:
        out.append(_finding(Signal.OOM_KILLED, subject, ev, 1.0, 1.0, "last termination reason OOMKilled"))
    return out


def _gpu(cx: CollectorContext, workload: str, sel: str, subject: Culprit) -> list[Finding]:
    gpu_sel = sel[:-1] + ',resource="nvidia_com_gpu"}'
    req_ev, req = query_instant(
        cx, f"sum(kube_pod_container_resource_requests{gpu_sel})", f"GPUs requested by {workload}"
    )
    gpus = max((v for _, v in req), default=0.0)
    annotate(req_ev, gpus)
    if gpus <= 0:
        return []
    ev, util = query_instant(
        cx,
        f"max(max_over_time(DCGM_FI_DEV_GPU_UTIL{sel}[24h]))",
        f"peak GPU utilization (%) of {workload} over 24h",
    )
    peak = max((v for _, v in util), default=float("nan"))
    annotate(ev, peak)
    if ev is None or not peak < GPU_IDLE_PCT:
        return []
    ids = [ev.id] + ([req_ev.id] if req_ev else [])
    return [
        Finding(
            signal=Signal.GPU_IDLE,
            subject=subject,
            evidence=ids,
            value=peak,
            detail=f"{gpus:.0f} GPU(s) requested, utilization never above {peak:.1f}% in 24h",
        )
    ]


def workload_selector(cx: CollectorContext, workload: str) -> str:
    """The workload's pods (from owner references) with a real container; else its container name."""
    pods = cx.targets.pods.get(workload)
    if not pods:
        return selector(namespace=cx.targets.namespace, container=workload)
    sel = selector(namespace=cx.targets.namespace, pod_re="|".join(re.escape(p) for p in sorted(pods)))
    return sel[:-1] + ',container!="",container!="POD"}'


def collect_saturation(cx: CollectorContext) -> list[Finding]:
    """CPU, memory, restart and OOM signals of each target workload."""
    findings: list[Finding] = []
    for workload in cx.targets.workloads[:MAX_WORKLOADS]:
        sel = workload_selector(cx, workload)
        subject = Culprit(
            workload=workload, namespace=cx.targets.namespace, container=workload, model=cx.targets.model
        )
        findings += _cpu(cx, workload, sel, subject) + _memory(cx, workload, sel, subject)
    return findings


def collect_gpu(cx: CollectorContext) -> list[Finding]:
    """Allocated-but-idle GPUs of each target workload."""
    findings: list[Finding] = []
    for workload in cx.targets.workloads[:MAX_WORKLOADS]:
        sel = workload_selector(cx, workload)
        findings += _gpu(cx, workload, sel, Culprit(workload=workload, namespace=cx.targets.namespace))
    return findings
