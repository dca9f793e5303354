"""Kubernetes Jobs of the target workloads: ``job_failed`` when ``kube_job_status_failed`` is set.

Batch scoring, training and feature pipelines run as Jobs; a failed one leaves its outputs missing.
"""

from __future__ import annotations

import re

from agents.triage.collectors.base import CollectorContext, annotate, query_instant, selector
from agents.triage.findings import Finding
from agents.triage.kinds.base import Signal
from agents.triage.models import Culprit

MAX_JOBS = 5


def collect_jobs(cx: CollectorContext) -> list[Finding]:
    """``job_failed`` for each target workload whose Job failed in the recent part of the window."""
    names = cx.targets.workloads[:MAX_JOBS]
    if not names:
        return []
    sel = selector(namespace=cx.targets.namespace, job_name_re="|".join(re.escape(n) for n in names))
    hours = max(1, round((cx.window.end - cx.window.start).total_seconds() / 3600))
    ev, rows = query_instant(
        cx,
        f"max by (namespace, job_name) (max_over_time(kube_job_status_failed{sel}[{hours}h]))",
        f"failed Jobs among {', '.join(names)}",
    )
    failed = [labels for labels, value in rows if value >= 1 and labels.get("job_name")]
    annotate(ev, [f"{f.get('namespace')}/{f['job_name']} failed" for f in failed] or "no failed Jobs")
    if ev is None:
        return []
    return [
        Finding(
            signal=Signal.JOB_FAILED,
            subject=Culprit(workload=f["job_name"], namespace=f.get("namespace") or cx.targets.namespace),
            evidence=[ev.id],
            detail=f"Job {f['job_name']} has failed pods (kube_job_status_failed)",
        )
        for f in failed
    ]
