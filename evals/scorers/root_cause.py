"""Graded root cause of a triage report against the expected cause (or abstention).

Grades: 100 right kind and culprit at rank 1; 65 right kind with a wrong or missing culprit, or the
right answer ranked second; 35 ranked lower, or the kind only mentioned (in the next checks);
0 wrong. Abstaining when a cause was expected scores 0, and so does any confident answer where
abstention was right.
"""

from __future__ import annotations

from typing import Any

from evals.harness.scenario import Cause, Culprit, TriageExpected, find_incident

# which culprit fields identify the cause, per kind (the rest of an incident's fields are context)
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "bad_model_version": ("model", "version"),
    "stale_feature_view": ("feature_view",),
    "online_offline_skew": ("feature_view",),
    "input_drift": ("model",),
    "oom": ("workload",),
    "cpu_saturation": ("workload",),
    "idle_gpu": ("workload",),
    "failed_job": ("workload",),
    "traffic_surge": ("workload",),
    "degraded_dependency": ("workload",),  # the caller; the report also names the dependency
    "crash_loop_after_rollout": ("workload",),
}


def cause_of_incident(incident: Any) -> Cause:
    """The expected cause a world incident implies: its kind and the fields that name the culprit."""
    fields = KEY_FIELDS.get(incident.kind, ("model", "workload", "feature_view"))
    values = {f: str(getattr(incident, f)) for f in fields if getattr(incident, f, None) is not None}
    return Cause(kind=incident.kind, culprit=Culprit(**values))


def expected_causes(expected: TriageExpected, world: Any) -> list[Cause]:
    """The true cause first, then the acceptable alternatives; empty when abstention is expected."""
    if expected.abstain:
        return []
    first = expected.root_cause or cause_of_incident(find_incident(world, str(expected.from_incident)))
    return [first, *expected.alternatives]


def _norm(value: Any) -> str:
    text = str(value).strip().lower()
    return text[1:] if text.startswith("v") and text[1:].isdigit() else text


def culprit_matches(expected: Culprit, culprit: dict[str, Any]) -> bool:
    """Every field the expectation gives equals the hypothesis's (versions compared without a ``v``)."""
    given = expected.given()
    return bool(given) and all(_norm(culprit.get(k) or "") == _norm(v) for k, v in given.items())


def grade(report: dict[str, Any], causes: list[Cause]) -> tuple[int, str]:
    """The graded score of one triage report (the JSON form) and a one-line reason."""
    hypotheses = [h for h in report.get("hypotheses", []) if h.get("kind") != "unknown"]
    abstained = bool(report.get("abstained")) or not hypotheses
    if not causes:
        return (100, "abstained as expected") if abstained else (0, "confident answer; abstention was right")
    if abstained:
        return 0, "abstained; the cause was clear"
    for rank, h in enumerate(hypotheses):
        for cause in causes:
            if h.get("kind") != cause.kind:
                continue
            right = culprit_matches(cause.culprit, h.get("culprit") or {})
            if rank == 0:
                return (100, "right kind and culprit") if right else (65, "right kind, wrong culprit")
            if rank == 1 and right:
                return 65, "right answer ranked second"
            return 35, f"right kind ranked {rank + 1}"
    mentioned = " ".join(report.get("next_checks", [])).lower()
    if any(c.kind.replace("_", " ") in mentioned or c.kind in mentioned for c in causes):
        return 35, "only mentioned"
    return 0, f"wrong: top is {hypotheses[0].get('kind')}"


def top_confidence(report: dict[str, Any]) -> float | None:
    """The confidence of the answer given (None when the report abstained)."""
    hypotheses = [h for h in report.get("hypotheses", []) if h.get("kind") != "unknown"]
    if report.get("abstained") or not hypotheses:
        return None
    return float(hypotheses[0].get("confidence", 0.0))
