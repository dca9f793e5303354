"""Rightsizing: unsafe cuts (below the true p99 CPU or peak memory) and savings captured vs. the oracle."""

from __future__ import annotations

from typing import Any

from evals.harness.scenario import RightsizingExpected


def unsafe_cuts(report: dict[str, Any], expected: RightsizingExpected) -> list[str]:
    """Workloads whose recommended request is below their true need."""
    recs = {r["workload"]: r for r in report.get("recommendations", [])}
    unsafe = []
    for need in expected.needs:
        rec = recs.get(need.workload)
        if rec is None:
            continue
        cpu = (rec.get("cpu") or {}).get("recommended")
        mem = (rec.get("memory_gib") or {}).get("recommended")
        if need.p99_cpu is not None and cpu is not None and cpu < need.p99_cpu:
            unsafe.append(f"{need.workload}: cpu {cpu} < p99 {need.p99_cpu}")
        if need.peak_mem_gib is not None and mem is not None and mem < need.peak_mem_gib:
            unsafe.append(f"{need.workload}: memory {mem} GiB < peak {need.peak_mem_gib}")
    return unsafe


def score(report: dict[str, Any], expected: RightsizingExpected) -> dict[str, Any]:
    """100 with no unsafe cut and (when an oracle is given) savings within 50–110 % of it; else 0."""
    unsafe = unsafe_cuts(report, expected)
    savings = float((report.get("totals") or {}).get("monthly_savings") or 0.0)
    captured = None
    if expected.savings_usd_month:
        captured = round(savings / expected.savings_usd_month, 3)
    ok = not unsafe and (captured is None or 0.5 <= captured <= 1.1)
    return {
        "score": 100 if ok else 0,
        "unsafe_cuts": unsafe,
        "savings_usd_month": savings,
        "captured": captured,
    }
