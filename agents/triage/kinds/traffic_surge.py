"""A traffic surge: the request rate far above its seasonal baseline (a fraud attack, a card-testing or
bot sign-up burst, a partner's retry storm), with latency and CPU saturation as its effects.

Evidence against: the rate is at its seasonal baseline (a daily ramp is not a surge), or one model
version errs more than the others (a bad deploy, not load).
"""

from __future__ import annotations

from agents.triage.kinds.base import CauseKind, Rule, Signal
from agents.triage.models import Hypothesis, NextAction

S = Signal
W = ("workload",)


def absorb(h: Hypothesis) -> list[NextAction]:
    """Find who sends the extra requests, block or rate-limit them, and scale out meanwhile."""
    c = h.culprit
    if not c.workload:
        return []
    ns = f" -n {c.namespace}" if c.namespace else ""
    return [
        NextAction(
            title=f"Find the source of the extra requests to {c.workload} (client, merchant, BIN, IP range); "
            "if it is an attack (card testing, bot sign-ups), block or rate-limit it at the edge"
        ),
        NextAction(
            title=f"Scale {c.workload} out while the surge lasts",
            command=f"kubectl scale deployment/{c.workload}{ns} --replicas=<n>",
            requires_approval=True,
        ),
    ]


KIND = CauseKind(
    name="traffic_surge",
    key=W,
    title="Traffic surge on {workload} (request rate far above its seasonal baseline)",
    rules=(
        Rule(S.TRAFFIC_ABOVE_BASELINE, 2.5, primary=True),
        Rule(S.TRAFFIC_RISE, 1.0, primary=True),
        # effects of the load
        Rule(S.SERVING_LATENCY_UP, 0.7, match=W),
        Rule(S.SERVING_ERRORS_UP, 0.3, match=W),
        Rule(S.CPU_THROTTLED, 0.5, match=W),
        Rule(S.CPU_AT_LIMIT, 0.5, match=W),
        # evidence against
        Rule(S.TRAFFIC_AT_BASELINE, -2.5, match=W),
        Rule(S.VERSION_ERRORS_HIGHER, -1.0, match=W),
    ),
    symptoms=(
        "traffic",
        "request rate",
        "requestrate",
        "rps",
        "surge",
        "spike",
        "burst",
        "latency",
        "duration",
        "slo",
        "throttl",
        "cpu",
        "saturat",
    ),
    collectors=("traffic", "golden_signals", "saturation"),
    mitigation=absorb,
    quiet=(S.TRAFFIC_AT_BASELINE,),
)
