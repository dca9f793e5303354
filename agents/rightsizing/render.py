"""Render a :class:`RightsizingReport` as Markdown and as Slack Block Kit blocks."""

from __future__ import annotations

from typing import Any

from agents.rightsizing.models import Recommendation, ResourceValue, RightsizingReport

_ORDER = {
    "bump": 0,
    "resize": 1,
    "decommission": 2,
    "cut": 3,
    "schedule": 4,
    "keep": 5,
    "insufficient_history": 6,
}


def money(value: float, currency: str = "USD") -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}{abs(value):,.2f} {currency}"


def _value(v: ResourceValue | None, unit: str = "") -> str:
    if v is None:
        return "–"
    text = f"{v.current:g} → **{v.recommended:g}**{unit}"
    if v.bounds is not None:
        text += f" [{v.bounds.lower:.2f}–{v.bounds.upper:.2f}]"
    if v.note:
        text += f" ({v.note})"
    return text


def confidence_text(r: Recommendation) -> str:
    """``high 0.93`` — the confidence, with the days of history behind it for reference."""
    if r.action == "insufficient_history":
        return "–"
    return f"{r.confidence_level} {r.confidence:.2f}"


def ordered(report: RightsizingReport) -> list[Recommendation]:
    """Recommendations by urgency (bumps first), then by savings."""
    return sorted(report.recommendations, key=lambda r: (_ORDER.get(r.action, 9), -r.monthly_savings))


def headline(report: RightsizingReport) -> str:
    t, cur = report.totals, report.pricing.currency
    return (
        f"{t.workloads} workloads analysed: {t.cuts} cuts, {t.bumps} bumps, {t.resizes} mixed resizes, "
        f"{len(report.schedules)} "
        f"off-hours schedules, {len(report.decommission)} decommission candidates — projected savings "
        f"{money(t.monthly_savings, cur)}/month of {money(t.current_monthly_cost, cur)}"
    )


def to_markdown(report: RightsizingReport) -> str:
    """The full report as Markdown."""
    lines = [
        f"# Rightsizing report — {_scope(report)}",
        "",
        f"_Run {report.run_id} at {report.generated_at:%Y-%m-%d %H:%M} UTC, {report.window_days:g}-day window, "
        f"{report.mode} mode._",
        "",
        headline(report),
        "",
    ]
    if report.summary:
        lines += [report.summary, ""]
    lines += _prices_md(report) + _totals_md(report) + _recommendations_md(report)
    lines += _schedules_md(report) + _decommission_md(report)
    if report.missing_sources:
        lines += [
            "",
            f"**Missing sources:** {', '.join(report.missing_sources)} — figures that need them are absent.",
        ]
    if report.notes:
        lines += ["", "## Notes", "", *[f"- {n}" for n in report.notes]]
    return "\n".join(lines).rstrip() + "\n"


def _scope(report: RightsizingReport) -> str:
    parts = [
        report.namespace and f"namespace {report.namespace}",
        report.workload and f"workload {report.workload}",
    ]
    return ", ".join(x for x in parts if x) or "all workloads"


def _prices_md(report: RightsizingReport) -> list[str]:
    p, cur = report.pricing, report.pricing.currency
    return [
        f"Prices ({p.source}): {p.cpu_core_hour:.4f} {cur}/core-hour, {p.mem_gib_hour:.4f} {cur}/GiB-hour"
        + "".join(f", {k} {v:.3f} {cur}/GPU-hour" for k, v in sorted(p.gpu_hour.items()))
        + (f" — {p.note}" if p.note else ""),
        "",
    ]


def _totals_md(report: RightsizingReport) -> list[str]:
    t, cur = report.totals, report.pricing.currency
    return [
        "| Savings | Monthly |",
        "|---|---:|",
        f"| Rightsizing | {money(t.rightsize, cur)} |",
        f"| Off-hours schedules | {money(t.schedule, cur)} |",
        f"| Decommission | {money(t.decommission, cur)} |",
        f"| **Total** | **{money(t.monthly_savings, cur)}** |",
        "",
    ]


def _recommendations_md(report: RightsizingReport) -> list[str]:
    cur = report.pricing.currency
    lines = [
        "## Recommendations",
        "",
        "| Workload | Action | CPU cores [bounds] | Memory GiB [bounds] | GPU | Confidence | Risk | Savings/month | Evidence |",
        "|---|---|---|---|---|---:|---|---:|---|",
    ]
    lines += [
        f"| {r.namespace}/{r.workload} ×{r.replicas} | {r.action} | {_value(r.cpu)} | "
        f"{_value(r.memory_gib)} | {_value(r.gpu)} | {confidence_text(r)} | {r.risk} | "
        f"{money(r.monthly_savings, cur)} | {', '.join(r.evidence_ids[:4])} |"
        for r in ordered(report)
    ]
    lines += ["", "### Why", ""]
    lines += [
        f"- **{r.workload}** ({r.action}: {', '.join(r.changes) or r.action}; risk {r.risk}, "
        f"confidence {confidence_text(r)} from {r.confidence_days:.1f} days): {r.reason}"
        + (f" Risk: {'; '.join(r.risk_reasons)}." if r.risk_reasons else "")
        for r in ordered(report)
        if r.action != "keep"
    ]
    return lines


def _schedules_md(report: RightsizingReport) -> list[str]:
    if not report.schedules:
        return []
    cur = report.pricing.currency
    out = [
        "",
        "## Off-hours schedules",
        "",
        "| Workload | Scale down | Scale up | Off share | Busy → idle cores | Savings/month |",
        "|---|---|---|---:|---|---:|",
    ]
    out += [
        f"| {s.namespace}/{s.workload} | `{s.scale_down_cron}` | `{s.scale_up_cron}` ({s.timezone}) | "
        f"{s.off_hours_share:.0%} | {s.busy_usage:.2f} → {s.idle_usage:.2f} | {money(s.monthly_savings, cur)} |"
        for s in report.schedules
    ]
    return out


def _decommission_md(report: RightsizingReport) -> list[str]:
    if not report.decommission:
        return []
    cur = report.pricing.currency
    out = [
        "",
        "## Decommission candidates",
        "",
        "| Kind | Workload | Why | Savings/month |",
        "|---|---|---|---:|",
    ]
    out += [
        f"| {d.kind} | {d.namespace}/{d.workload} | {d.detail} | {money(d.monthly_savings, cur)} |"
        for d in report.decommission
    ]
    return out


def to_slack_blocks(report: RightsizingReport, limit: int = 10) -> list[dict[str, Any]]:
    """Block Kit blocks: header, headline, top recommendations, schedules and decommissions, context."""
    cur = report.pricing.currency
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Rightsizing report"[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": headline(report)[:3000]}},
    ]
    top = [r for r in ordered(report) if r.action != "keep"][:limit]
    if top:
        text = "\n".join(
            f"• *{r.workload}* {r.action} — {', '.join(r.changes) or 'no change'}"
            + f" — {money(r.monthly_savings, cur)}/mo, risk {r.risk}"
            for r in top
        )
        blocks += [{"type": "divider"}, {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}]
    extra = [
        f"• schedule *{s.workload}*: down `{s.scale_down_cron}`, up `{s.scale_up_cron}` "
        f"({money(s.monthly_savings, cur)}/mo)"
        for s in report.schedules
    ]
    extra += [f"• decommission {d.kind} *{d.workload}*: {d.detail}" for d in report.decommission]
    if extra:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(extra)[:3000]}})
    context = f"run {report.run_id} · prices from {report.pricing.source} · {report.mode}"
    if report.missing_sources:
        context += f" · missing: {', '.join(report.missing_sources)}"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    return blocks
