"""CPU: throttled CFS periods, usage pinned at the limit, slower answers (unless a traffic surge explains them)."""

from __future__ import annotations

from agents.triage.kinds.actions import resize
from agents.triage.kinds.base import CauseKind, Rule, Signal

S = Signal

KIND = CauseKind(
    name="cpu_saturation",
    key=("workload",),
    title="{workload} CPU saturated and throttled",
    rules=(
        Rule(S.CPU_THROTTLED, 2.0, primary=True),
        Rule(S.CPU_AT_LIMIT, 1.0, primary=True),
        Rule(S.SERVING_LATENCY_UP, 0.5, match=("workload",)),
        # evidence against: a request rate far above its baseline explains the saturation (traffic_surge)
        Rule(S.TRAFFIC_ABOVE_BASELINE, -1.5, match=("workload",)),
    ),
    symptoms=("throttl", "cfs_", "cpu", "error", "5xx", "5..", "latency", "duration", "slo"),
    collectors=("saturation", "golden_signals"),
    mitigation=resize("Raise the CPU limit or replicas of {workload}"),
)
