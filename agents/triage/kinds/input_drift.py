"""Input drift: a feature's population moved while the serving path is consistent."""

from __future__ import annotations

from agents.triage.kinds.base import CauseKind, Rule, Signal
from agents.triage.models import Hypothesis, NextAction

S = Signal


def check_population(h: Hypothesis) -> list[NextAction]:
    """Confirm the population change with the owners; evaluate and retrain if needed."""
    c = h.culprit
    return [
        NextAction(
            title=f"Confirm the population change of {c.feature} with the {c.model} owners; "
            "evaluate the champion on recent labelled data and retrain if it degraded"
        )
    ]


KIND = CauseKind(
    name="input_drift",
    key=("model", "feature"),
    title="Input drift on {model} feature {feature}",
    rules=(
        Rule(S.FEATURE_PSI_HIGH, 2.5, primary=True),
        Rule(S.FEATURE_PSI_MODERATE, 1.0, primary=True),
        Rule(S.PSI_SHIFT, 0.5, match=("model", "feature")),
        Rule(S.PARITY_CLEAN, 0.3, match=("feature_view",)),
        Rule(S.PARITY_MISMATCH, -2.0, match=("feature_view", "feature")),
        Rule(S.FEAST_STALE, -1.5, match=("feature_view",)),
        Rule(S.FEAST_LATE, -0.8, match=("feature_view",)),
        Rule(S.MATERIALIZATION_LAG, -1.0, match=("feature_view",)),
    ),
    symptoms=("psi", "drift", "distribution", "shift", "skew"),
    collectors=("drift", "feast"),
    mitigation=check_population,
    quiet=(S.PARITY_CLEAN,),
)
