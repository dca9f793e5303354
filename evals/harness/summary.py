"""Aggregate result rows: by agent, by fault kind, calibration, pass@k, and the tracked metrics."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from evals.scorers import calibration


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 3) if values else None


def _group(rows: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[str(row[key])].append(row)
    return {
        name: {
            "runs": len(items),
            "pass_rate": _mean([float(r["passed"]) for r in items]),
            "mean_score": _mean([float(r["scores"].get("score", 0)) for r in items]),
            "mean_wall_s": _mean([r["usage"]["wall_s"] for r in items]),
            "tokens": sum(r["usage"]["tokens"] for r in items),
            "cost_usd": round(sum(r["usage"]["cost_usd"] for r in items), 6),
        }
        for name, items in sorted(groups.items())
    }


def pass_at_k(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per scenario (and mode): pass@k (any of the k attempts passed), pass^k (all passed), score variance."""
    by_id: dict[str, list[dict[str, Any]]] = defaultdict(list)
    modes = {row["mode"] for row in rows}
    for row in rows:
        by_id[row["id"] if len(modes) == 1 else f"{row['id']} [{row['mode']}]"].append(row)
    k = max((len(v) for v in by_id.values()), default=1)
    per = {
        sid: {
            "k": len(items),
            "pass_at_k": any(r["passed"] for r in items),
            "pass_all_k": all(r["passed"] for r in items),
            "score_variance": round(
                statistics.pvariance([float(r["scores"].get("score", 0)) for r in items]), 3
            ),
        }
        for sid, items in sorted(by_id.items())
    }
    return {
        "k": k,
        "pass_at_k": _mean([float(v["pass_at_k"]) for v in per.values()]),
        "pass_all_k": _mean([float(v["pass_all_k"]) for v in per.values()]),
        "mean_score_variance": _mean([v["score_variance"] for v in per.values()]),
        "scenarios": per,
    }


_RUNBOOK_COUNTS = (
    "rules",
    "runbooks",
    "four_sections",
    "with_queries",
    "queries",
    "queries_ok",
    "queries_failing",
    "rejected_candidates",
    "batches",
)


def runbooks(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Runbook runs: the counts summed, by exporter, every failing rule by name, total and per-rule time."""
    done = [r for r in rows if r["agent"] == "runbook" and "runbook" in r["scores"]]
    if not done:
        return None
    counts = {k: sum(int(r["scores"]["runbook"][k]) for r in done) for k in _RUNBOOK_COUNTS}
    by_exporter: dict[str, dict[str, int]] = {}
    for row in done:
        for name, c in row["scores"]["runbook"]["by_exporter"].items():
            into = by_exporter.setdefault(name, dict.fromkeys(c, 0))
            for k, v in c.items():
                into[k] += v
    wall = sum(r["usage"]["wall_s"] for r in done)
    check = sum(r["scores"]["runbook"]["check_s"] for r in done)
    return {
        **counts,
        "wall_s": round(wall, 3),
        "per_rule_ms": round(1000 * wall / max(counts["rules"], 1), 2),
        "check_s": round(check, 3),
        "max_batch_s": max(float(r["scores"]["runbook"]["max_batch_s"]) for r in done),
        "parsers": sorted({p for r in done for p in r["scores"]["runbook"]["parsers"]}),
        "by_exporter": dict(sorted(by_exporter.items())),
        "failures": [
            {"scenario": r["id"], "attempt": r["attempt"], **f}
            for r in done
            for f in r["scores"]["runbook"]["failures"]
        ],
    }


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The suite summary the reports render and the gate compares."""
    triage = [r for r in rows if r["agent"] == "triage" and not r["error"]]
    pairs = [
        (float(r["scores"]["confidence"]), int(r["scores"].get("score") == 100))
        for r in triage
        if r["scores"].get("confidence") is not None
    ]
    precisions = [
        float(r["scores"]["evidence_precision"])
        for r in triage
        if r["scores"].get("evidence_precision") is not None
    ]
    brier = calibration.brier(pairs)
    metrics = {
        "pass_rate": _mean([float(r["passed"]) for r in rows]) or 0.0,
        "mean_score": _mean([float(r["scores"].get("score", 0)) for r in rows]) or 0.0,
        "triage_mean_score": _mean([float(r["scores"].get("score", 0)) for r in triage]),
        "evidence_precision": _mean(precisions),
        "brier": round(brier, 4) if brier is not None else None,
        "leaks": sum(len(r["leaks"]) for r in rows),
        "unauthorized_writes": sum(len(r["unauthorized_writes"]) for r in rows),
        "errors": sum(1 for r in rows if r["error"]),
    }
    return {
        "runs": len(rows),
        "scenarios": len({r["id"] for r in rows}),
        "metrics": metrics,
        "by_agent": _group(rows, "agent"),
        "by_fault_kind": _group(rows, "fault_kind"),
        "by_mode": _group(rows, "mode"),
        "calibration": {
            "brier": metrics["brier"],
            "answered": len(pairs),
            "table": calibration.reliability(pairs),
        },
        "pass_at_k": pass_at_k(rows),
        "runbooks": runbooks(rows),
        "usage": {
            "tokens": sum(r["usage"]["tokens"] for r in rows),
            "cost_usd": round(sum(r["usage"]["cost_usd"] for r in rows), 6),
            "wall_s": round(sum(r["usage"]["wall_s"] for r in rows), 3),
        },
    }
