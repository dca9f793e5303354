"""Kubernetes rollouts and crash loops of the target workloads (kube-state-metrics).

* ``crash_loop_backoff``: a container of the workload's pods (found through owner references, so the
  new ReplicaSet's pods count) waited in ``CrashLoopBackOff`` since the incident start
  (``kube_pod_container_status_waiting_reason``);
* ``deployment_rolled_out``: the Deployment's ``kube_deployment_status_observed_generation`` changed in
  the window, no later than :data:`AFTER_SLACK` after the incident start (at the last such change);
* ``deployment_unchanged``: its generation did not change in the window (evidence against a rollout).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from agents.triage.collectors.base import CollectorContext, annotate, query_instant, selector
from agents.triage.collectors.saturation import workload_selector
from agents.triage.findings import Finding
from agents.triage.kinds.base import Signal
from agents.triage.models import Culprit

AFTER_SLACK = timedelta(minutes=15)
MAX_WORKLOADS = 5
GENERATION = "kube_deployment_status_observed_generation"


def _minutes(cx: CollectorContext, since: datetime) -> int:
    return max(10, round((cx.window.end - since).total_seconds() / 60))


def _crash_loops(cx: CollectorContext, workload: str) -> list[Finding]:
    sel = workload_selector(cx, workload)
    sel = sel[:-1] + ',reason="CrashLoopBackOff"}'
    minutes = _minutes(cx, cx.window.recent_start)
    ev, rows = query_instant(
        cx,
        f"max by (namespace, pod) (max_over_time(kube_pod_container_status_waiting_reason{sel}[{minutes}m]))",
        f"pods of {workload} waiting in CrashLoopBackOff",
    )
    pods = sorted(lab.get("pod", "?") for lab, value in rows if value >= 1)
    annotate(ev, pods or "no pod in CrashLoopBackOff")
    if ev is None or not pods:
        return []
    return [
        Finding(
            signal=Signal.CRASH_LOOP_BACKOFF,
            subject=Culprit(workload=workload, namespace=cx.targets.namespace),
            evidence=[ev.id],
            value=pods,
            detail=f"{len(pods)} pod(s) of {workload} in CrashLoopBackOff: {', '.join(pods[:3])}",
        )
    ]


def _rollouts(cx: CollectorContext, names: list[str]) -> list[Finding]:
    sel = selector(namespace=cx.targets.namespace, deployment_re="|".join(re.escape(n) for n in names))
    minutes = _minutes(cx, cx.window.start)
    changed = f"(timestamp({GENERATION}{sel}) and changes({GENERATION}{sel}[10m]) > 0)"
    ev, rows = query_instant(
        cx,
        f"max by (namespace, deployment) (max_over_time({changed}[{minutes}m:5m]))"
        f" or max by (namespace, deployment) ({GENERATION}{sel}) * 0",
        f"last rollout (observed generation change) of {', '.join(names)}",
    )
    if ev is None:
        return []
    latest = cx.window.incident_start + AFTER_SLACK if cx.window.incident_start else cx.window.end
    out, seen = [], {}
    for lab, value in rows:
        name = lab.get("deployment")
        if not name:
            continue
        at = datetime.fromtimestamp(value, UTC) if value > 0 else None
        subject = Culprit(workload=name, namespace=lab.get("namespace") or cx.targets.namespace)
        if at is None or at > latest:
            seen[name] = f"rolled out at {at:%H:%M}, after the incident start" if at else "unchanged"
            signal, detail = (
                Signal.DEPLOYMENT_UNCHANGED,
                f"Deployment {name} not rolled out before the incident",
            )
        else:
            seen[name] = f"rolled out at {at:%H:%M}"
            signal, detail = Signal.DEPLOYMENT_ROLLED_OUT, f"Deployment {name} rolled out at {at:%H:%M}"
        out.append(Finding(signal=signal, subject=subject, evidence=[ev.id], at=at, detail=detail))
    annotate(ev, seen or "no Deployment series")
    return out


def collect_kube_rollout(cx: CollectorContext) -> list[Finding]:
    """Crash-looping pods and recent Deployment rollouts of each target workload."""
    names = cx.targets.workloads[:MAX_WORKLOADS]
    if not names:
        return []
    findings: list[Finding] = []
    for workload in names:
        findings += _crash_loops(cx, workload)
    if any(f.signal == Signal.CRASH_LOOP_BACKOFF for f in findings):
        findings += _rollouts(cx, names)
    return findings
