"""A crash loop after a rollout: a Deployment's new generation (a new serving image or config) was rolled
out shortly before its new pods started restarting in ``CrashLoopBackOff``.

Evidence against: the Deployment did not change in the window (the crash loop has another cause), or
the container was OOMKilled (the memory cause).
"""

from __future__ import annotations

from agents.triage.kinds.base import CauseKind, Rule, Signal
from agents.triage.models import Hypothesis, NextAction

S = Signal
W = ("workload",)


def undo(h: Hypothesis) -> list[NextAction]:
    """Read why the new pods crash; roll the Deployment back to its previous revision (needs approval)."""
    c = h.culprit
    if not c.workload:
        return []
    ns = f" -n {c.namespace}" if c.namespace else ""
    return [
        NextAction(
            title=f"Read why the new pods of {c.workload} crash",
            command=f"kubectl logs{ns} deployment/{c.workload} --previous --all-containers",
        ),
        NextAction(
            title=f"Roll {c.workload} back to its previous revision",
            command=f"kubectl rollout undo deployment/{c.workload}{ns}",
            requires_approval=True,
        ),
        NextAction(
            title="See what the rollout changed (image, env, config) before fixing forward",
            command=f"kubectl rollout history deployment/{c.workload}{ns}",
        ),
    ]


KIND = CauseKind(
    name="crash_loop_after_rollout",
    key=W,
    title="{workload} crash-loops after its rollout",
    rules=(
        Rule(S.CRASH_LOOP_BACKOFF, 2.0, primary=True),
        Rule(S.DEPLOYMENT_ROLLED_OUT, 1.5, match=W),
        Rule(S.RESTARTS, 0.7, match=W),
        # evidence against
        Rule(S.DEPLOYMENT_UNCHANGED, -1.5, match=W),
        Rule(S.OOM_KILLED, -1.5, match=W),
    ),
    symptoms=("crashloop", "crash loop", "backoff", "restart", "rollout", "replicas mismatch", "unavailable"),
    collectors=("kube_rollout", "saturation"),
    mitigation=undo,
    quiet=(S.DEPLOYMENT_ROLLED_OUT, S.DEPLOYMENT_UNCHANGED),
)
