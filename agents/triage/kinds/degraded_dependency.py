"""A degraded dependency: the online feature store (Feast online serving) or a downstream service got
slow or started failing, and the calling model server or service slowed with it.

Seen from the caller's client-side metrics (a histogram of dependency calls labelled by the dependency,
see :class:`agents.triage.labels.LabelMap`). Evidence against: the caller's own latency and errors did
not rise (its timeouts, retries or cache absorbed the dependency's trouble).
"""

from __future__ import annotations

from agents.triage.kinds.base import CauseKind, Rule, Signal
from agents.triage.models import Hypothesis, NextAction

S = Signal
W = ("workload",)


def check_dependency(h: Hypothesis) -> list[NextAction]:
    """Look at the dependency itself; protect the caller meanwhile (timeouts, fallbacks)."""
    c = h.culprit
    if not (c.workload and c.dependency):
        return []
    return [
        NextAction(
            title=f"Check {c.dependency} itself (its latency, errors, saturation; for a feature store, "
            "its online store backend) and who owns it"
        ),
        NextAction(
            title=f"Protect {c.workload} meanwhile: a tighter client timeout with a fallback or default "
            f"features, or a circuit breaker on {c.dependency}"
        ),
    ]


KIND = CauseKind(
    name="degraded_dependency",
    key=("workload", "dependency"),
    title="{workload} slowed by its dependency {dependency}",
    rules=(
        Rule(S.DEPENDENCY_LATENCY_UP, 2.5, primary=True),
        Rule(S.DEPENDENCY_ERRORS_UP, 2.0, primary=True),
        Rule(S.SERVING_LATENCY_UP, 1.0, match=W),
        Rule(S.SERVING_ERRORS_UP, 0.5, match=W),
        # evidence against: the caller did not suffer
        Rule(S.SERVING_STEADY, -1.5, match=W),
    ),
    symptoms=(
        "latency",
        "duration",
        "slo",
        "timeout",
        "error",
        "5xx",
        "5..",
        "dependency",
        "upstream",
        "feature server",
        "online store",
    ),
    collectors=("dependencies", "golden_signals"),
    mitigation=check_dependency,
)
