"""Render a :class:`FinOpsReport` as Markdown, as a self-contained HTML page with SVG charts, and as Slack blocks."""

from __future__ import annotations

from html import escape
from typing import Any

from agents.finops import charts
from agents.finops.models import FinOpsReport
from agents.rightsizing.render import money


def savings_line(report: FinOpsReport) -> str:
    t, cur = report.rightsizing_totals, report.currency
    return (
        f"Projected savings {money(t.monthly_savings, cur)}/month of a {money(t.current_monthly_cost, cur)} "
        f"compute run-rate: rightsizing {money(t.rightsize, cur)}, off-hours schedules {money(t.schedule, cur)}, "
        f"decommission {money(t.decommission, cur)}."
    )


def to_markdown(report: FinOpsReport) -> str:
    """The report as Markdown (the HTML version carries the charts)."""
    lines = [f"# FinOps report — {report.generated_at:%Y-%m-%d}", "", savings_line(report)]
    sections = (_providers_md, _compute_md, _trend_md, _movers_md, _anomalies_md, _savings_md, _schedules_md)
    for section in sections:
        lines += section(report)
    lines += ["", f"_Prices: {report.price_source}. Evidence: {', '.join(report.evidence_ids)}._"]
    if report.missing_sources:
        lines.append(f"**Missing sources:** {', '.join(report.missing_sources)}")
    lines += [f"- {n}" for n in report.notes]
    return "\n".join(lines).rstrip() + "\n"


def _md_table(title: str, header: str, align: str, rows: list[str]) -> list[str]:
    return ["", f"## {title}", "", header, align, *rows]


def _providers_md(report: FinOpsReport) -> list[str]:
    rows = []
    for p in report.providers:
        period = (
            f"{p.period_start:%Y-%m-%d} → {p.period_end:%Y-%m-%d}" if p.period_start and p.period_end else "–"
        )
        rows.append(
            f"| {p.provider} | {p.currency} | {p.billed_cost:,.2f} | {p.effective_cost:,.2f} | {p.list_cost:,.2f} | "
            f"{period} |"
        )
    return _md_table(
        "Billing totals by provider",
        "| Provider | Currency | Billed | Effective | List | Period |",
        "|---|---|---:|---:|---:|---|",
        rows,
    )


def _compute_md(report: FinOpsReport) -> list[str]:
    if not report.compute:
        return []
    units = {"cpu": "vCPU-h", "memory": "GiB-h", "gpu": "GPU-h", "instance": "instance-h"}
    rows = [
        f"| {c.resource}{f' {c.gpu_model}' if c.gpu_model else ''} | {c.quantity:,.1f} {units.get(c.resource, '')} | "
        f"{money(c.effective_cost, c.currency)} | "
        + (
            f"{c.unit_cost:,.4f} {c.currency}/{units.get(c.resource, 'unit')}"
            if c.unit_cost is not None
            else "–"
        )
        + " |"
        for c in report.compute
    ]
    return _md_table(
        "Compute cost by resource",
        "| Resource | Quantity | Effective cost | Per unit |",
        "|---|---:|---:|---:|",
        rows,
    )


def _trend_md(report: FinOpsReport) -> list[str]:
    if not report.daily:
        return []
    cur, daily = report.currency, report.daily
    return [
        "",
        f"## Cost trend ({len(daily)} days)",
        "",
        f"Effective cost {money(sum(d.cost for d in daily), cur)}; first day {money(daily[0].cost, cur)}, "
        f"last day {money(daily[-1].cost, cur)}, max {money(max(d.cost for d in daily), cur)}.",
    ]


def _movers_md(report: FinOpsReport) -> list[str]:
    if not report.movers:
        return []
    days = report.mover_period_days
    rows = [f"| {m.key} | {m.previous:,.2f} | {m.current:,.2f} | {m.delta:+,.2f} |" for m in report.movers]
    return _md_table(
        f"Top movers (last {days} days vs the {days} before)",
        "| Service | Before | Now | Δ |",
        "|---|---:|---:|---:|",
        rows,
    )


def _anomalies_md(report: FinOpsReport) -> list[str]:
    if not report.anomalies:
        return []
    cur = report.currency
    return [
        "",
        "## Cost anomalies",
        "",
        *[
            f"- {a.day}: **{a.key}** {money(a.cost, cur)} vs baseline {money(a.baseline, cur)} (z {a.z_score:.1f})"
            for a in report.anomalies
        ],
    ]


def _savings_md(report: FinOpsReport) -> list[str]:
    cur = report.currency
    steps = [f"| {s.label} | {money(s.value, cur)} |" for s in report.waterfall]
    recommendations = [
        f"| {r.namespace}/{r.workload} | {r.action} | {r.risk} | {money(r.monthly_savings, cur)} | {r.reason[:160]} |"
        for r in report.top_recommendations
    ]
    return _md_table("Savings waterfall", "| Step | Monthly |", "|---|---:|", steps) + _md_table(
        "Top recommendations",
        "| Workload | Action | Risk | Savings/month | Why |",
        "|---|---|---|---:|---|",
        recommendations,
    )


def _schedules_md(report: FinOpsReport) -> list[str]:
    if not (report.schedules or report.decommission):
        return []
    cur = report.currency
    return [
        "",
        "## Schedules and decommissions",
        "",
        *[
            f"- schedule **{s.workload}**: `{s.scale_down_cron}` down / `{s.scale_up_cron}` up ({s.timezone}), "
            f"{money(s.monthly_savings, cur)}/month"
            for s in report.schedules
        ],
        *[
            f"- decommission {d.kind} **{d.workload}**: {d.detail} ({money(d.monthly_savings, cur)}/month)"
            for d in report.decommission
        ],
    ]


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_CSS = (
    "body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}table{border-collapse:collapse;"
    "margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px}th{background:#f4f4f4}"
    ".chart{display:block;margin:1em 0}"
)


def to_html(report: FinOpsReport) -> str:
    """A self-contained HTML page: totals, three SVG charts (trend, movers, waterfall), recommendations."""
    cur = report.currency
    trend = charts.line_chart(
        [(d.day.isoformat(), d.cost) for d in report.daily], f"Effective cost per day ({cur})"
    )
    movers = charts.diverging_bars(
        [(m.key, m.delta) for m in report.movers],
        f"Top movers: last {report.mover_period_days} days vs the previous ({cur})",
    )
    fall = charts.waterfall(
        [(s.label, s.value, s.kind) for s in report.waterfall], f"Monthly savings waterfall ({cur})"
    )
    providers, recs, extra = _providers_html(report), _recommendations_html(report), _actions_html(report)
    notes = "".join(f"<li>{escape(n)}</li>" for n in report.notes)
    missing = (
        f"<p><strong>Missing sources:</strong> {escape(', '.join(report.missing_sources))}</p>"
        if report.missing_sources
        else ""
    )
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>FinOps report {report.generated_at:%Y-%m-%d}'
        f"</title><style>{_CSS}</style></head><body><h1>FinOps report — {report.generated_at:%Y-%m-%d}</h1>"
        f"<p>{escape(savings_line(report))}</p>{missing}<h2>Billing totals by provider</h2>{providers}"
        f"<h2>Cost trend</h2>{trend}<h2>Top movers</h2>{movers}<h2>Savings waterfall</h2>{fall}"
        f"<h2>Top recommendations</h2>{recs}<h2>Schedules and decommissions</h2>{extra}"
        f"<p><em>Prices: {escape(report.price_source)}. Run {escape(report.run_id)}; evidence "
        f"{escape(', '.join(report.evidence_ids))}.</em></p><ul>{notes}</ul></body></html>"
    )


def _providers_html(report: FinOpsReport) -> str:
    return _table(
        ["Provider", "Currency", "Billed", "Effective", "List", "Rows"],
        [
            [
                p.provider,
                p.currency,
                f"{p.billed_cost:,.2f}",
                f"{p.effective_cost:,.2f}",
                f"{p.list_cost:,.2f}",
                str(p.rows),
            ]
            for p in report.providers
        ],
    )


def _recommendations_html(report: FinOpsReport) -> str:
    return _table(
        ["Workload", "Action", "Risk", f"Savings/month ({report.currency})", "Why"],
        [
            [f"{r.namespace}/{r.workload}", r.action, r.risk, f"{r.monthly_savings:,.2f}", r.reason]
            for r in report.top_recommendations
        ],
    )


def _actions_html(report: FinOpsReport) -> str:
    schedules = [
        [
            "schedule",
            s.workload,
            f"{s.scale_down_cron} down / {s.scale_up_cron} up ({s.timezone})",
            f"{s.monthly_savings:,.2f}",
        ]
        for s in report.schedules
    ]
    decommissions = [[d.kind, d.workload, d.detail, f"{d.monthly_savings:,.2f}"] for d in report.decommission]
    return _table(
        ["Kind", "Workload", "Detail", f"Savings/month ({report.currency})"], schedules + decommissions
    )


def to_slack_blocks(report: FinOpsReport, limit: int = 5) -> list[dict[str, Any]]:
    """Block Kit blocks: header, savings line, provider totals, top recommendations."""
    cur = report.currency
    totals = "\n".join(
        f"• {p.provider}: {money(p.effective_cost, p.currency)} effective" for p in report.providers
    )
    recs = "\n".join(
        f"• *{r.workload}* {r.action} — {money(r.monthly_savings, cur)}/mo (risk {r.risk})"
        for r in report.top_recommendations[:limit]
    )
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": f"FinOps report {report.generated_at:%Y-%m-%d}"},
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": savings_line(report)[:3000]}},
    ]
    if totals:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*Billing totals*\n{totals}"[:3000]}}
        )
    if recs:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*Top recommendations*\n{recs}"[:3000]}}
        )
    blocks.append(
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": f"run {report.run_id} · prices: {report.price_source}"[:3000]}
            ],
        }
    )
    return blocks
