"""Assemble the report from collected usage: recommendations, decommissions, schedules, totals (pure)."""

from __future__ import annotations

from datetime import datetime

from agents.rightsizing.decommission import VersionTraffic, apply_decommission, apply_schedule, stale_versions
from agents.rightsizing.models import Pricing, Recommendation, RightsizingReport, RightsizingTotals
from agents.rightsizing.recommend import build_recommendation
from agents.rightsizing.settings import BusinessCalendar, RightsizingSettings
from agents.rightsizing.usage import WorkloadUsage


def totals_of(recs: list[Recommendation]) -> RightsizingTotals:
    """Sums of the (already rounded) per-workload figures."""
    return RightsizingTotals(
        current_monthly_cost=round(sum(r.current_monthly_cost for r in recs), 2),
        rightsize=round(sum(r.savings.rightsize for r in recs), 2),
        schedule=round(sum(r.savings.schedule for r in recs), 2),
        decommission=round(sum(r.savings.decommission for r in recs), 2),
        monthly_savings=round(sum(r.monthly_savings for r in recs), 2),
        workloads=len(recs),
        cuts=sum(r.action == "cut" for r in recs),
        bumps=sum(r.action == "bump" for r in recs),
        resizes=sum(r.action == "resize" for r in recs),
    )


def analyse(
    usages: list[WorkloadUsage],
    pricing: Pricing,
    *,
    run_id: str,
    now: datetime,
    window_days: float,
    versions: list[VersionTraffic] | None = None,
    namespace: str | None = None,
    workload: str | None = None,
    calendar: BusinessCalendar | None = None,
    settings: RightsizingSettings | None = None,
) -> RightsizingReport:
    """Recommend for every workload, then fold in decommissions and off-hours schedules.

    ``calendar`` (default: the ``REFERENT_TIMEZONE`` / ``REFERENT_BUSINESS_HOURS`` settings) is the
    time zone of the collected hour profiles and the working hours a schedule never scales down in;
    ``settings`` (default: ``REFERENT_RIGHTSIZING_*``) gives the share of days a daily peak recurs on.
    """
    calendar = calendar or BusinessCalendar()
    peak_share = (settings or RightsizingSettings()).daily_peak_share
    report = RightsizingReport(
        run_id=run_id,
        generated_at=now,
        window_days=window_days,
        namespace=namespace,
        workload=workload,
        pricing=pricing,
    )
    for u in usages:
        rec = build_recommendation(u, pricing, peak_share)
        candidate = apply_decommission(u, rec, pricing)
        if candidate is not None:
            report.decommission.append(candidate)
        schedule = apply_schedule(u, rec, pricing, calendar)
        if schedule is not None:
            report.schedules.append(schedule)
        rec.monthly_savings = rec.savings.total
        report.recommendations.append(rec)
    report.decommission += stale_versions(versions or [])
    report.totals = totals_of(report.recommendations)
    if pricing.source != "billing":
        report.notes.append(pricing.note or "billing unavailable: list prices used")
    short = [r.workload for r in report.recommendations if r.action == "insufficient_history"]
    if short:
        report.notes.append(f"insufficient history (no recommendation): {', '.join(short)}")
    return report
