"""Online/offline skew: online feature values disagree with the point-in-time offline join."""

from __future__ import annotations

from agents.triage.kinds.actions import rematerialize
from agents.triage.kinds.base import CauseKind, Rule, Signal

S = Signal

KIND = CauseKind(
    name="online_offline_skew",
    key=("feature_view", "feature"),
    title="Online/offline skew in {feature_view}:{feature}",
    rules=(
        Rule(S.PARITY_MISMATCH, 3.0, primary=True),
        Rule(S.PREDICTION_PSI_UP, 0.5, match=("model",)),
        Rule(S.FEATURE_PSI_MODERATE, 0.3, match=("feature_view", "feature")),
    ),
    symptoms=("psi", "drift", "distribution", "shift", "skew"),
    collectors=("feast", "drift"),
    mitigation=rematerialize("Fix the online pipeline writing"),
)
