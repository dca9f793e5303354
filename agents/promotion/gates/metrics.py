"""Gate: the candidate's offline metrics are no worse than the champion's, within tolerance.

For each metric both versions report and whose direction is known (``max`` = greater is better,
``min`` = smaller is better), the candidate may be worse than the champion by at most
``max(absolute, relative * |champion|)``, per metric (model tag ``tolerance.<metric>``, settings, then
defaults: see :meth:`PromotionSettings.tolerance_for`). Metrics without a known direction are listed,
not judged.
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


def _judge(
    cand: dict[str, float],
    base: dict[str, float],
    dirs: dict[str, str],
    settings: PromotionSettings,
    model_tags: dict[str, str],
) -> tuple[list[str], list[str], list[str]]:
    """(judged metrics, metrics beyond tolerance, detail lines) over the metrics both versions report."""
    shared = sorted(set(cand) & set(base))
    judged, unjudged = [m for m in shared if m in dirs], [m for m in shared if m not in dirs]
    failures: list[str] = []
    lines: list[str] = []
    for metric in judged:
        ok, line = compare_metric(
            cand[metric], base[metric], dirs[metric], settings.tolerance_for(metric, model_tags)
        )
        lines.append(f"{metric}: {line}")
        if not ok:
            failures.append(metric)
    if unjudged:
        lines.append(f"not judged (no direction): {', '.join(unjudged)}")
    return judged, failures, lines


def _verdict(judged: list[str], failures: list[str], baseline_version: str) -> tuple[GateStatus, str]:
    if not judged:
        return GateStatus.SKIP, f"no shared metric with a known direction against v{baseline_version}"
    if failures:
        return (
            GateStatus.FAIL,
            f"worse than champion v{baseline_version} beyond tolerance: {', '.join(failures)}",
        )
    return GateStatus.PASS, f"{len(judged)} metric(s) within tolerance of champion v{baseline_version}"


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
    judged, failures, lines = _judge(
        facts.candidate.metrics,
        facts.baseline.metrics,
        directions(facts, settings),
        settings,
        facts.model_tags,
    )
    status, why = _verdict(judged, failures, facts.baseline.version)
    return GateResult(
        gate=NAME,
        status=status,
        details=lines,
        evidence=[*facts.candidate.evidence, *facts.baseline.evidence],
        why=why,
    )
