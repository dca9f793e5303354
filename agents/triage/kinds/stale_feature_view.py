"""A stale feature view: Feast's registry and the freshness metric agree the view stopped updating."""

from __future__ import annotations

from agents.triage.kinds.actions import rematerialize
from agents.triage.kinds.base import CauseKind, Rule, Signal

S = Signal

KIND = CauseKind(
    name="stale_feature_view",
    key=("feature_view",),
    title="Feature view {feature_view} is stale",
    rules=(
        Rule(S.FEAST_STALE, 3.0, primary=True),
        Rule(S.FEAST_LATE, 1.5, primary=True),
        Rule(S.MATERIALIZATION_LAG, 2.0, primary=True),
        Rule(S.FEATURE_PSI_MODERATE, 0.3, match=("feature_view",)),
    ),
    symptoms=("feast", "materializ", "stale", "fresh", "psi", "drift", "distribution", "shift", "skew"),
    collectors=("feast", "freshness_metric", "drift"),
    mitigation=rematerialize("Fix and restart the materialization job of"),
)
