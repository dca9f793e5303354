"""A bad model version: a production alias moved (or a new version took traffic) shortly before the symptoms.

Evidence against: the version's errors match the other versions', its inputs (signature) are unchanged,
it carries an approval, and the serving errors and latency stayed flat — then the deploy was harmless;
a request rate far above its baseline or a slow dependency explains the symptoms otherwise.
"""

from __future__ import annotations

from agents.triage.kinds.base import CauseKind, Rule, Signal
from agents.triage.models import Hypothesis, NextAction

S = Signal
MV = ("model", "version")


def rollback(h: Hypothesis) -> list[NextAction]:
    """Roll the alias back to the previous version (needs approval), and block the bad one."""
    c = h.culprit
    if not (c.model and c.previous_version):
        return []
    alias = c.alias or "champion"
    return [
        NextAction(
            title=f"Roll {c.model} {alias} back to v{c.previous_version}",
            command=f"referent rollback {c.model}",
            tool="mlflow.set_alias",
            arguments={"model": c.model, "alias": alias, "version": int(c.previous_version)},
            requires_approval=True,
        ),
        NextAction(title=f"Block v{c.version} from production until its signature/inputs are fixed"),
    ]


KIND = CauseKind(
    name="bad_model_version",
    key=MV,
    title="Bad model version {model} v{version} promoted",
    rules=(
        Rule(S.ALIAS_MOVED, 2.5, primary=True),
        Rule(S.VERSION_TOOK_TRAFFIC, 2.5, primary=True),  # stock registry: the serving metrics' version
        Rule(S.NEW_PRODUCTION_VERSION, 2.0, primary=True),  # stock registry: creation time + alias
        Rule(S.SERVING_ERRORS_UP, 1.5, match=("model",)),
        Rule(S.SERVING_LATENCY_UP, 0.7, match=("model",)),
        Rule(S.VERSION_ERRORS_HIGHER, 1.0, match=MV),
        Rule(S.SIGNATURE_CHANGED, 0.8, match=MV, mechanism=True),
        Rule(S.APPROVAL_MISSING, 0.4, match=MV, mechanism=True),
        Rule(S.PREDICTION_PSI_UP, 0.3, match=("model",)),
        # evidence against: a deploy that changed nothing observable is not a cause by itself (with the
        # per-version errors and the serving errors/latency both flat, a signature change or a missing
        # approval counts nothing: they are how a version could fail, not signs that it did)
        Rule(S.VERSION_ERRORS_SAME, -1.2, match=MV, refutes_effect=True),
        Rule(S.SIGNATURE_SAME, -0.6, match=MV),
        Rule(S.APPROVAL_PRESENT, -0.5, match=MV),
        Rule(S.SERVING_STEADY, -1.0, match=("model",), refutes_effect=True),
        # the symptoms have another explanation: a surge of requests, a slow dependency
        Rule(S.TRAFFIC_ABOVE_BASELINE, -1.0, match=("model",)),
        Rule(S.DEPENDENCY_LATENCY_UP, -0.8, match=("model",)),
    ),
    symptoms=(
        "psi",
        "drift",
        "distribution",
        "shift",
        "skew",
        "error",
        "5xx",
        "5..",
        "latency",
        "duration",
        "slo",
    ),
    collectors=("mlflow", "golden_signals", "drift"),
    mitigation=rollback,
    quiet=(S.SIGNATURE_SAME, S.APPROVAL_PRESENT, S.VERSION_ERRORS_SAME, S.SERVING_STEADY),
)
