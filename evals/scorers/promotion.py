"""Promotion: the decision and exact agreement of the set of failing gates.

With ``freshness_from_world`` the expected outcome of ``feature_freshness`` is derived from the world at
scoring time: the sandbox materializes each view once, at ``anchor - last_materialized_ago``, so a view
is late once that is older than twice its schedule, stale once older than its TTL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from evals.harness.scenario import PromotionExpected

FRESHNESS = "feature_freshness"


def stale_views(world: Any, model: str, anchor: datetime, now: datetime | None = None) -> list[str]:
    """The feature views ``model`` reads that are late or stale at ``now``."""
    now = now or datetime.now(UTC)
    spec = next((m for m in world.models if m.name == model), None)
    if spec is None:
        return []
    views = dict.fromkeys(ref.split(":", 1)[0] for ref in spec.features if ":" in ref)
    out = []
    for name in views:
        view = world.feature_view(name)
        age = now - anchor + view.last_materialized_ago
        if age > min(view.ttl, 2 * view.schedule):
            out.append(name)
    return out


def expected_gates(expected: PromotionExpected, world: Any, model: str, anchor: datetime | None) -> list[str]:
    gates = set(expected.failed_gates) - ({FRESHNESS} if expected.freshness_from_world else set())
    if expected.freshness_from_world and anchor is not None and stale_views(world, model, anchor):
        gates.add(FRESHNESS)
    return sorted(gates)


def score(
    report: dict[str, Any], expected: PromotionExpected, world: Any = None, anchor: datetime | None = None
) -> dict[str, Any]:
    """``decision_ok``, ``gates_ok`` (the failing set equals the expected set) and the score (0–100)."""
    failed = sorted(g["gate"] for g in report.get("gates", []) if g.get("status") == "fail")
    want = expected_gates(expected, world, str(report.get("model")), anchor)
    decision_ok = report.get("decision") == expected.decision
    gates_ok = failed == want
    return {
        "decision_ok": decision_ok,
        "gates_ok": gates_ok,
        "failed_gates": failed,
        "expected_gates": want,
        "score": 50 * decision_ok + 50 * gates_ok,
    }
