"""Gate: the candidate's offline metrics are no worse than the champion's, within tolerance.

For each metric both versions report and whose direction is known (``max`` = greater is better,
``min`` = smaller is better), the candidate may be worse than the champion by at most
``max(absolute, relative * |champion|)``. Metrics without a known direction are listed, not judged.
"""

from __future__ import annotations

from agents.promotion.models import GateResult, GateStatus, PromotionFacts
from agents.promotion.settings import PromotionSettings, Tolerance

NAME = "metrics"


def compare_metric(
    candidate: float, baseline: float, direction: str, tolerance: Tolerance
) -> tuple[bool, str]:
    """Judge one metric; returns (ok, a line naming the numbers).

    Args:
        candidate: the candidate's value.
        baseline: the champion's value.
        direction: ``max`` (greater is better) or ``min`` (smaller is better).
        tolerance: the allowed regression.

    Returns:
        Whether the candidate is within tolerance, and a human-readable comparison.
    """
    if direction not in {"max", "min"}:
        raise ValueError(f"direction must be 'max' or 'min', not {direction!r}")
    allowed = tolerance.allowed(baseline)
    regression = baseline - candidate if direction == "max" else candidate - baseline
    ok = regression <= allowed + 1e-12
    arrow = "higher is better" if direction == "max" else "lower is better"
    verdict = "ok" if ok else "REGRESSION"
    return ok, (
        f"{verdict}: candidate {candidate:g} vs champion {baseline:g} ({arrow}; "
        f"change {-regression:+.4g}, allowed regression {allowed:.4g})"
    )


def directions(facts: PromotionFacts, settings: PromotionSettings) -> dict[str, str]:
    """Metric directions: the model's own (registry tag) override the defaults table."""
    return {**settings.metric_directions, **facts.metric_directions}


def check(facts: PromotionFacts, settings: PromotionSettings) -> GateResult:
    """Compare every shared metric with a known direction against the champion."""
    if facts.candidate is None:
        return GateResult(
            gate=NAME,
            status=GateStatus.FAIL,
            why="cannot verify: candidate version not read "
            f"({facts.unavailable.get('mlflow', 'mlflow did not answer')})",
        )
    if facts.baseline is None:
        return GateResult(
            gate=NAME,
            status=GateStatus.SKIP,
            why=facts.baseline_note or "no champion to compare with",
            evidence=facts.candidate.evidence,
        )
    dirs = directions(facts, settings)
    cand, base = facts.candidate.metrics, facts.baseline.metrics
    shared = sorted(set(cand) & set(base))
    judged, unjudged, failures, lines = (
        [m for m in shared if m in dirs],
        [m for m in shared if m not in dirs],
        [],
        [],
    )
    for metric in judged:
        ok, line = compare_metric(cand[metric], base[metric], dirs[metric], settings.tolerance_for(metric))
        lines.append(f"{metric}: {line}")
        if not ok:
            failures.append(metric)
    if unjudged:
        lines.append(f"not judged (no direction): {', '.join(unjudged)}")
    evidence = [*facts.candidate.evidence, *facts.baseline.evidence]
    if not judged:
        return GateResult(
            gate=NAME,
            status=GateStatus.SKIP,
            details=lines,
            evidence=evidence,
            why=f"no shared metric with a known direction against v{facts.baseline.version}",
        )
    if failures:
        return GateResult(
            gate=NAME,
            status=GateStatus.FAIL,
            details=lines,
            evidence=evidence,
            why=f"worse than champion v{facts.baseline.version} beyond tolerance: {', '.join(failures)}",
        )
    return GateResult(
        gate=NAME,
        status=GateStatus.PASS,
        details=lines,
        evidence=evidence,
        why=f"{len(judged)} metric(s) within tolerance of champion v{facts.baseline.version}",
    )
