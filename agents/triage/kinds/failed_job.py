"""A failed batch, training or feature pipeline Job (kube-state-metrics ``kube_job_status_failed``)."""

from __future__ import annotations

from agents.triage.kinds.base import CauseKind, Rule, Signal
from agents.triage.models import Hypothesis, NextAction

S = Signal


def rerun(h: Hypothesis) -> list[NextAction]:
    """Read the failed pods' logs, fix, and re-run the Job."""
    job = h.culprit.workload
    if not job:
        return []
    ns = f" -n {h.culprit.namespace}" if h.culprit.namespace else ""
    return [
        NextAction(title=f"Read why {job} failed", command=f"kubectl logs{ns} job/{job} --all-containers"),
        NextAction(title=f"Fix and re-run the Job {job} (its outputs are missing until it succeeds)"),
    ]


KIND = CauseKind(
    name="failed_job",
    key=("workload",),
    title="Job {workload} failed",
    rules=(
        Rule(S.JOB_FAILED, 3.0, primary=True),
        Rule(S.RESTARTS, 0.5, match=("workload",)),
        Rule(S.OOM_KILLED, -1.0, match=("workload",)),  # an OOMKilled Job is the memory cause
    ),
    symptoms=("kube_job", "job_failed", "jobfailed", "job failed", "pipeline", "backofflimit"),
    collectors=("jobs", "saturation"),
    mitigation=rerun,
)
