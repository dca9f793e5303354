"""Rightsizing: unsafe cuts (below the true p99 CPU or peak memory) and savings captured vs. the oracle.

With ``needs_from_world`` the need of every workload comes from its usage profile in the world: its
daily peak (``peak``, spikes reach 90–100 % of it) or else the top of its diurnal swing,
``mean * (1 + diurnal)``, noise left out — a lower bound of the true p99, so a cut below it is unsafe.
"""

from __future__ import annotations

from typing import Any

from evals.harness.scenario import RightsizingExpected, WorkloadNeed


def _level(profile: Any) -> float:
    if profile.peak is not None:
        return float(profile.peak) * 0.9
    return float(profile.mean) * (1 + float(profile.diurnal))


def needs_of(world: Any) -> list[WorkloadNeed]:
    """Every workload's need (cores and GiB per pod) from the world's usage profiles."""
    return [
        WorkloadNeed(
            workload=w.name,
            p99_cpu=round(_level(w.cpu_usage), 3),
            peak_mem_gib=round(_level(w.mem_usage_gib), 3),
        )
        for w in world.workloads
    ]


def unsafe_cuts(report: dict[str, Any], needs: list[WorkloadNeed]) -> list[str]:
    """Workloads whose recommended request is below their true need."""
    recs = {r["workload"]: r for r in report.get("recommendations", [])}
    unsafe = []
    for need in needs:
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


def score(report: dict[str, Any], expected: RightsizingExpected, world: Any) -> dict[str, Any]:
    """100 with no unsafe cut and (when an oracle is given) savings within 50–110 % of it; else 0."""
    needs = [*expected.needs, *(needs_of(world) if expected.needs_from_world else [])]
    unsafe = unsafe_cuts(report, needs)
    savings = float((report.get("totals") or {}).get("monthly_savings") or 0.0)
    captured = None
    if expected.savings_usd_month:
        captured = round(savings / expected.savings_usd_month, 3)
    ok = not unsafe and (captured is None or 0.5 <= captured <= 1.1)
    recommended = {r["workload"] for r in report.get("recommendations", [])}
    checked = sum(1 for n in needs if n.workload in recommended)
    return {
        "score": 100 if ok else 0,
        "unsafe_cuts": unsafe,
        "checked": checked,
        "savings_usd_month": savings,
        "captured": captured,
    }
