"""Build the FinOps report: billing through the gateway plus a rightsizing run, then persist it.

Billing gives the totals per provider (the platform's own export and any other FOCUS data loaded, such as
the real FOCUS sample), the daily effective-cost trend of the last ``trend_days``, the top movers by
service (last ``mover_days`` versus the ``mover_days`` before), the daily anomalies, and the compute cost
per resource — CPU, memory, GPU per model — as billing classifies it from FOCUS columns and the SKU map. The rightsizing
agent gives the savings (rightsizing, schedules, decommissions) that make the waterfall.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from agents.deps import AgentDeps, collect
from agents.evidence import EvidenceLedger
from agents.finops.models import (
    ComputeCost,
    CostAnomaly,
    DailyCost,
    FinOpsReport,
    Mover,
    ProviderCost,
    WaterfallStep,
)
from agents.finops.render import to_markdown
from agents.reports import ReportStore
from agents.rightsizing.graph import run_rightsizing
from agents.rightsizing.models import RightsizingReport
from agents.rightsizing.render import ordered


def _f(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _rows(
    deps: AgentDeps, ledger: EvidenceLedger, tool: str, args: dict[str, Any], summary: str, ids: list[str]
) -> list[dict[str, Any]]:
    ev = collect(deps, ledger, tool, args, summary=summary)
    if ev is None:
        return []
    ids.append(ev.id)
    return [r for r in ev.data if isinstance(r, dict)] if isinstance(ev.data, list) else []


def _providers(rows: list[dict[str, Any]]) -> list[ProviderCost]:
    return [
        ProviderCost(
            provider=r.get("provider") or "?",
            currency=r.get("currency") or "",
            billed_cost=round(_f(r.get("billed_cost")), 2),
            effective_cost=round(_f(r.get("effective_cost")), 2),
            list_cost=round(_f(r.get("list_cost")), 2),
            rows=int(r.get("rows") or 0),
            period_start=r.get("period_start"),
            period_end=r.get("period_end"),
        )
        for r in rows
    ]


def _daily(rows: list[dict[str, Any]]) -> list[DailyCost]:
    by_day: dict[date, float] = {}
    for r in rows:
        if r.get("key"):
            day = date.fromisoformat(str(r["key"])[:10])
            by_day[day] = by_day.get(day, 0.0) + _f(r.get("effective_cost"))
    return [DailyCost(day=d, cost=round(c, 2)) for d, c in sorted(by_day.items())]


def _movers(current: list[dict[str, Any]], previous: list[dict[str, Any]], limit: int = 8) -> list[Mover]:
    now = {str(r.get("key")): _f(r.get("effective_cost")) for r in current}
    before = {str(r.get("key")): _f(r.get("effective_cost")) for r in previous}
    movers = [
        Mover(key=k, previous=round(before.get(k, 0.0), 2), current=round(now.get(k, 0.0), 2))
        for k in set(now) | set(before)
    ]
    movers = [m for m in movers if m.delta != 0]
    return sorted(movers, key=lambda m: -abs(m.delta))[:limit]


def _waterfall(rs: RightsizingReport) -> list[WaterfallStep]:
    t = rs.totals
    return [
        WaterfallStep(label="current run-rate", value=t.current_monthly_cost, kind="total"),
        WaterfallStep(label="rightsizing", value=-t.rightsize, kind="delta"),
        WaterfallStep(label="off-hours schedules", value=-t.schedule, kind="delta"),
        WaterfallStep(label="decommission", value=-t.decommission, kind="delta"),
        WaterfallStep(
            label="projected", value=round(t.current_monthly_cost - t.monthly_savings, 2), kind="total"
        ),
    ]


def _anomalies(rows: list[dict[str, Any]]) -> list[CostAnomaly]:
    return [
        CostAnomaly(
            key=str(r.get("key")),
            day=date.fromisoformat(str(r.get("day"))[:10]),
            cost=round(_f(r.get("cost")), 2),
            baseline=round(_f(r.get("baseline_median")), 2),
            z_score=_f(r.get("z_score")),
        )
        for r in rows
    ]


def _compute(deps: AgentDeps, ledger: EvidenceLedger, start: datetime, ids: list[str]) -> list[ComputeCost]:
    """Compute cost per resource (and GPU model) since ``start``, largest first."""
    ev = collect(
        deps,
        ledger,
        "billing.compute_costs",
        {"start": start.isoformat()},
        summary="compute cost per resource: CPU, memory, GPU (classified from FOCUS columns)",
    )
    if ev is None or not isinstance(ev.data, dict):
        return []
    ids.append(ev.id)
    return [
        ComputeCost(
            resource=str(t.get("resource")),
            gpu_model=t.get("gpu_model"),
            currency=str(t.get("currency") or ""),
            quantity=round(_f(t.get("quantity")), 2),
            effective_cost=round(_f(t.get("effective_cost")), 2),
            unit_cost=None
            if t.get("effective_cost_per_unit") is None
            else _f(t.get("effective_cost_per_unit")),
        )
        for t in ev.data.get("totals", [])
        if isinstance(t, dict)
    ]


def _service_costs(
    deps: AgentDeps, ledger: EvidenceLedger, today: datetime, mover_days: int, ids: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Cost rows per service: the last ``mover_days`` and the ``mover_days`` before."""
    cut = today - timedelta(days=mover_days)
    current = _rows(
        deps,
        ledger,
        "billing.cost_by",
        {"dimension": "service", "start": cut.isoformat(), "limit": 200},
        f"cost per service, last {mover_days} days",
        ids,
    )
    previous = _rows(
        deps,
        ledger,
        "billing.cost_by",
        {
            "dimension": "service",
            "start": (cut - timedelta(days=mover_days)).isoformat(),
            "end": cut.isoformat(),
            "limit": 200,
        },
        f"cost per service, the {mover_days} days before",
        ids,
    )
    return current, previous


def gather(deps: AgentDeps, ledger: EvidenceLedger, *, trend_days: int, mover_days: int) -> FinOpsReport:
    """Billing figures of the report (rightsizing not included)."""
    now = deps.clock()
    today = datetime(now.year, now.month, now.day, tzinfo=UTC)
    ids: list[str] = []
    report = FinOpsReport(run_id=deps.ctx.run_id, generated_at=now, mover_period_days=mover_days)
    report.providers = _providers(
        _rows(deps, ledger, "billing.totals", {}, "billing totals per provider", ids)
    )
    start = today - timedelta(days=trend_days)
    report.daily = _daily(
        _rows(
            deps,
            ledger,
            "billing.cost_by",
            {"dimension": "day", "start": start.isoformat(), "limit": 1000},
            f"effective cost per day, last {trend_days} days",
            ids,
        )
    )
    report.movers = _movers(*_service_costs(deps, ledger, today, mover_days, ids))
    report.compute = _compute(deps, ledger, start, ids)
    report.anomalies = _anomalies(
        _rows(
            deps, ledger, "billing.anomalies", {"dimension": "service"}, "daily cost spikes per service", ids
        )
    )
    currencies = {p.currency for p in report.providers if p.currency}
    report.currency = next(iter(currencies)) if len(currencies) == 1 else "USD"
    report.evidence_ids = ids
    return report


def run_finops_report(
    deps: AgentDeps,
    *,
    store: ReportStore | None = None,
    trend_days: int = 30,
    mover_days: int = 7,
    top: int = 10,
    namespace: str | None = None,
) -> FinOpsReport:
    """Build the FinOps report (billing + a rightsizing run); persist it (kind ``finops``) with ``store``."""
    ledger = EvidenceLedger()
    report = gather(deps, ledger, trend_days=trend_days, mover_days=mover_days)
    rs = run_rightsizing(deps, namespace=namespace, store=store)
    report.rightsizing_totals, report.rightsizing_report_id = rs.totals, rs.report_id
    report.price_source = f"{rs.pricing.source}" + (f" ({rs.pricing.note})" if rs.pricing.note else "")
    report.top_recommendations = [r for r in ordered(rs) if r.monthly_savings > 0][:top]
    report.top_recommendations.sort(key=lambda r: -r.monthly_savings)
    report.schedules, report.decommission = rs.schedules, rs.decommission
    report.waterfall = _waterfall(rs)
    report.missing_sources = sorted(set(ledger.missing_sources()) | set(rs.missing_sources))
    report.notes = [*rs.notes]
    if not report.daily:
        report.notes.append(f"no billing rows in the last {trend_days} days")
    if store is not None:
        report.report_id = store.save(
            kind="finops",
            run_id=report.run_id,
            subject=namespace or "all",
            body_json=report.model_dump_json(),
            markdown=to_markdown(report),
        )
    return report
