"""Render a :class:`TriageReport` as Markdown (CLI, stored report) and as Slack Block Kit blocks."""

from __future__ import annotations

from typing import Any

from agents.triage.models import Hypothesis, TriageReport

_SLACK_TEXT_LIMIT = 2900
_MAX_EVIDENCE_LINES = 8


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _when(report: TriageReport) -> str:
    start = report.incident_start.strftime("%Y-%m-%d %H:%M UTC") if report.incident_start else "unknown"
    return f"incident start ≈ {start}"


def _hypothesis_md(rank: int, h: Hypothesis) -> list[str]:
    lines = [f"### {rank}. {h.title} — {h.kind} ({h.confidence:.0%})", ""]
    if h.explanation:
        lines += [h.explanation, ""]
    lines.append(f"Culprit: {h.culprit.describe()}")
    terms = ", ".join(f"{c.signal} {c.weight:+.2f}" for c in h.contributions)
    lines += [f"Log-odds {h.log_odds:+.2f} = prior + {terms}" if terms else f"Log-odds {h.log_odds:+.2f}", ""]
    if h.evidence:
        lines += ["| id | source | query | value | time |", "|---|---|---|---|---|"]
        for ev in h.evidence[:_MAX_EVIDENCE_LINES]:
            at = ev.at.strftime("%H:%M") if ev.at else ""
            query = ev.query.replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {ev.id} | {ev.source} | `{query}` | {_value(ev.value)} | {at} |")
        lines.append("")
    return lines


def to_markdown(report: TriageReport) -> str:
    """The whole report as Markdown."""
    alert = report.alert
    lines = [
        f"# Triage: {alert.alertname} ({alert.severity})",
        "",
        f"{alert.summary}",
        "",
        f"- fingerprint `{alert.fingerprint}` · {_when(report)} · mode {report.mode} · run `{report.run_id}`",
        f"- targets: {', '.join(f'{k}={v}' for k, v in report.targets.items()) or 'none'}",
        f"- collectors: {', '.join(report.collectors) or 'none'}",
    ]
    if report.missing_sources:
        lines.append(f"- **missing sources**: {', '.join(report.missing_sources)} (answered from the others)")
    if report.unfinished_collectors:
        names = ", ".join(report.unfinished_collectors)
        lines.append(f"- **not finished by the triage deadline**: {names} (evidence gathered so far used)")
    if report.dropped_claims:
        lines.append(f"- dropped {report.dropped_claims} model claim(s) citing unknown evidence")
    lines.append("")
    if report.abstained:
        lines += ["## Insufficient evidence", "", report.abstain_reason, ""]
    lines += ["## Hypotheses", ""]
    if not report.hypotheses:
        lines += ["None.", ""]
    for i, h in enumerate(report.hypotheses[:5], 1):
        lines += _hypothesis_md(i, h)
    if report.next_actions:
        lines += ["## Suggested actions", ""]
        for action in report.next_actions:
            approval = " (needs approval; not performed by triage)" if action.requires_approval else ""
            command = f": `{action.command}`" if action.command else ""
            lines.append(f"- {action.title}{command}{approval}")
        lines.append("")
    if report.next_checks:
        lines += ["## What to check next", "", *[f"- {c}" for c in report.next_checks], ""]
    return "\n".join(lines).rstrip() + "\n"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:_SLACK_TEXT_LIMIT]}}


def to_slack_blocks(report: TriageReport) -> list[dict[str, Any]]:
    """Slack Block Kit blocks: header, verdict, top hypotheses with evidence ids, actions, sources."""
    alert = report.alert
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Triage: {alert.alertname}"[:150]}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"{alert.severity} · `{alert.fingerprint}` · {_when(report)} · {report.mode}",
                }
            ],
        },
    ]
    if report.abstained:
        blocks.append(_section(f"*Insufficient evidence.* {report.abstain_reason}"))
    for i, h in enumerate(report.hypotheses[:3], 1):
        cites = ", ".join(e.id for e in h.evidence[:_MAX_EVIDENCE_LINES]) or "none"
        blocks.append(
            _section(f"*{i}. {h.title}* ({h.confidence:.0%})\n{h.culprit.describe()}\nevidence: {cites}")
        )
    if report.next_actions:
        text = "\n".join(
            f"• {a.title}"
            + (f": `{a.command}`" if a.command else "")
            + (" _(needs approval)_" if a.requires_approval else "")
            for a in report.next_actions
        )
        blocks += [{"type": "divider"}, _section(f"*Suggested actions*\n{text}")]
    if report.next_checks:
        blocks.append(_section("*Check next*\n" + "\n".join(f"• {c}" for c in report.next_checks)))
    if report.missing_sources:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f":warning: missing sources: {', '.join(report.missing_sources)}",
                    }
                ],
            }
        )
    return blocks
