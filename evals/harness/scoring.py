"""Apply the scorers that fit a scenario's agent to its output."""

from __future__ import annotations

from typing import Any

from evals.harness.agents import RunOutput
from evals.harness.scenario import (
    PromotionExpected,
    RightsizingExpected,
    RunbookExpected,
    Scenario,
    TriageExpected,
)
from evals.scorers import evidence, promotion, rightsizing, root_cause, runbook


def score_output(
    scenario: Scenario, world: Any, output: RunOutput, calls: list[dict[str, Any]]
) -> dict[str, Any]:
    """The scenario's scores; ``passed`` says whether its main score is perfect."""
    expected = scenario.expected
    if not output.error and not output.reports and isinstance(expected, TriageExpected) and expected.abstain:
        return {"score": 100, "passed": True, "why": "nothing firing: no report", "fault_kind": "abstain"}
    if output.error or not output.reports:
        return {"score": 0, "passed": False, "why": output.error or "no report"}
    if isinstance(expected, TriageExpected):
        return _triage(expected, world, output.reports, calls)
    if isinstance(expected, PromotionExpected):
        result = promotion.score(output.reports[0], expected, world, output.anchor)
        return {**result, "passed": result["score"] == 100, "fault_kind": "promotion"}
    if isinstance(expected, RightsizingExpected):
        result = rightsizing.score(output.reports[0], expected, world)
        return {**result, "passed": result["score"] == 100, "fault_kind": "rightsizing"}
    if isinstance(expected, RunbookExpected):
        e = expected
        result = runbook.score(output.reports[0], e.sections, e.min_queries, e.rules, output.prometheus_url)
        complete = e.rules is None or result["runbook"]["rules"] == e.rules
        return {**result, "passed": result["score"] == 100 and complete, "fault_kind": "runbook"}
    return {"score": 0, "passed": False, "why": "no scorer for this agent"}


def _triage(
    expected: TriageExpected, world: Any, reports: list[dict[str, Any]], calls: list[dict[str, Any]]
) -> dict[str, Any]:
    """Grade the best report of the payload (grouped alerts: the one that matches best)."""
    causes = root_cause.expected_causes(expected, world)
    graded = [(root_cause.grade(r, causes), r) for r in reports]
    (score, why), best = max(graded, key=lambda g: g[0][0])
    results = sum(1 for c in calls if c.get("kind") == "tool" and c.get("outcome") == "ok")
    confidence = root_cause.top_confidence(best)
    return {
        "score": score,
        "why": why,
        "passed": score == 100,
        "fault_kind": causes[0].kind if causes else "abstain",
        "abstained": bool(best.get("abstained")),
        "confidence": confidence,
        "evidence_precision": evidence.precision(best, results),
        "top_kind": next((h.get("kind") for h in best.get("hypotheses", [])), None),
    }
