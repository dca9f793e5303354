"""Promotion: the decision and exact agreement of the set of failing gates."""

from __future__ import annotations

from typing import Any

from evals.harness.scenario import PromotionExpected


def score(report: dict[str, Any], expected: PromotionExpected) -> dict[str, Any]:
    """``decision_ok``, ``gates_ok`` (the failing set equals the expected set) and the score (0–100)."""
    failed = sorted(g["gate"] for g in report.get("gates", []) if g.get("status") == "fail")
    decision_ok = report.get("decision") == expected.decision
    gates_ok = failed == sorted(expected.failed_gates)
    return {
        "decision_ok": decision_ok,
        "gates_ok": gates_ok,
        "failed_gates": failed,
        "score": 50 * decision_ok + 50 * gates_ok,
    }
