"""Memory: OOMKilled terminations, restarts, working set at the limit."""

from __future__ import annotations

from agents.triage.kinds.actions import resize
from agents.triage.kinds.base import CauseKind, Rule, Signal

S = Signal

KIND = CauseKind(
    name="oom",
    key=("workload",),
    title="{workload} is OOMKilled (memory at its limit)",
    rules=(
        Rule(S.OOM_KILLED, 2.5, primary=True),
        Rule(S.MEMORY_NEAR_LIMIT, 1.0, primary=True),
        Rule(S.RESTARTS, 1.0, match=("workload",)),
    ),
    symptoms=("oom", "memory", "terminated_reason", "restarts"),
    collectors=("saturation",),
    mitigation=resize("Raise the memory limit of {workload} above its peak (or cut its batch size)"),
)
