"""The registry of root-cause kinds: one module per kind, each declaring a :class:`CauseKind`.

Adding a kind: write ``agents/triage/kinds/<name>.py`` with ``KIND = CauseKind(...)`` (its signals added
to :class:`Signal` if new), list it in :data:`KINDS` below and in
:data:`agents.triage.models.HypothesisKind` (checked at import).
"""

from __future__ import annotations

from agents.triage.kinds import (
    bad_model_version,
    cpu_saturation,
    crash_loop_after_rollout,
    degraded_dependency,
    failed_job,
    idle_gpu,
    input_drift,
    online_offline_skew,
    oom,
    stale_feature_view,
    traffic_surge,
)
from agents.triage.kinds.base import CauseKind, Rule, Signal
from agents.triage.models import HYPOTHESIS_KINDS

KINDS: dict[str, CauseKind] = {
    k.name: k
    for k in (
        bad_model_version.KIND,
        stale_feature_view.KIND,
        online_offline_skew.KIND,
        input_drift.KIND,
        oom.KIND,
        cpu_saturation.KIND,
        idle_gpu.KIND,
        failed_job.KIND,
        traffic_surge.KIND,
        degraded_dependency.KIND,
        crash_loop_after_rollout.KIND,
    )
}

_undeclared = set(KINDS) ^ (set(HYPOTHESIS_KINDS) - {"unknown"})
if _undeclared:  # pragma: no cover - a declaration error, caught by any import
    raise ImportError(f"cause kinds and HypothesisKind disagree: {sorted(_undeclared)}")


def rules() -> list[tuple[str, Rule]]:
    """Every (kind, rule) pair of the registry."""
    return [(k.name, r) for k in KINDS.values() for r in k.rules]


PRIMARY_SIGNALS: frozenset[Signal] = frozenset(r.signal for _, r in rules() if r.primary)
QUIET_SIGNALS: frozenset[Signal] = frozenset(s for k in KINDS.values() for s in k.quiet)

__all__ = ["KINDS", "PRIMARY_SIGNALS", "QUIET_SIGNALS", "CauseKind", "Rule", "Signal", "rules"]
