"""GPU: allocated to a workload and idle."""

from __future__ import annotations

from agents.triage.kinds.actions import resize
from agents.triage.kinds.base import CauseKind, Rule, Signal

S = Signal

KIND = CauseKind(
    name="idle_gpu",
    key=("workload",),
    title="GPU allocated to {workload} is idle",
    rules=(
        Rule(S.GPU_IDLE, 3.0, primary=True),
        Rule(S.GPU_COST, 0.3, match=("workload",)),
    ),
    symptoms=("gpu", "dcgm"),
    collectors=("gpu", "cost"),
    mitigation=resize("Release the idle GPU of {workload} (scale to zero or drop the GPU request)"),
    quiet=(S.GPU_COST,),
)
