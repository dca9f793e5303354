"""Render a PromotionReport as Markdown and as Slack Block Kit blocks (with Approve / Deny buttons)."""

from __future__ import annotations

from typing import Any

from agents.promotion.models import GateStatus, PromotionReport

ICON = {GateStatus.PASS: "✅", GateStatus.FAIL: "❌", GateStatus.SKIP: "⏭️"}
APPROVE_ACTION, DENY_ACTION = "approval_approve", "approval_deny"


def headline(report: PromotionReport) -> str:
    """One line: what was asked and what happened."""
    verb = "Rollback" if report.kind == "rollback" else "Promotion"
    what = f"{report.model} v{report.version} → {report.alias} ({report.target})"
    if report.alias_moved:
        outcome = "DONE: alias moved"
    elif report.approval_status == "pending":
        outcome = "WAITING for approval"
    elif report.decision == "promote":
        outcome = "would PROMOTE (dry run)" if report.dry_run else "PROMOTE"
    else:
        outcome = "BLOCKED"
    return f"{verb} {what}: {outcome}"


def decision_word(report: PromotionReport) -> str:
    """PROMOTE / ROLLBACK when the run may proceed, BLOCK otherwise."""
    if report.decision != "promote":
        return "BLOCK"
    return "ROLLBACK" if report.kind == "rollback" else "PROMOTE"


def to_markdown(report: PromotionReport) -> str:
    """The report as Markdown (gates table, reasons, approval, rollback hint)."""
    lines = [f"# {headline(report)}", "", f"- run: `{report.run_id}`  mode: {report.mode}"]
    if report.baseline_version:
        lines.append(f"- compared with champion: v{report.baseline_version}")
    if report.previous_champion:
        lines.append(f"- previous {report.alias}: v{report.previous_champion}")
    if report.missing_sources:
        lines.append(f"- **sources that did not answer:** {', '.join(report.missing_sources)}")
    if report.gates:
        lines += ["", "| gate | result | why |", "|---|---|---|"]
        lines += [
            f"| {g.gate} | {ICON[g.status]} {g.status.value} | {g.why.replace('|', '/')} |"
            for g in report.gates
        ]
    lines += ["", "## Decision", f"**{decision_word(report)}**", ""]
    lines += [f"- {r}" for r in report.reasons]
    lines += _approval_md(report)
    details = [(g.gate, g.details, g.evidence) for g in report.gates if g.details]
    if details:
        lines += ["", "## Details"]
        for name, rows, evidence in details:
            cite = f" (evidence {', '.join(evidence)})" if evidence else ""
            lines += [f"**{name}**{cite}", *[f"- {row}" for row in rows], ""]
    if report.summary:
        lines += ["", "## Summary", report.summary]
    return "\n".join(lines).rstrip() + "\n"


def _approval_md(report: PromotionReport) -> list[str]:
    out: list[str] = []
    if report.approval_id:
        out += [
            "",
            "## Approval",
            f"- approval `{report.approval_id}`: {report.approval_status}"
            + (f" by {report.approved_by}" if report.approved_by else ""),
        ]
        if report.approval_status == "pending":
            out += [
                f"- approve (an approver, as their own OS account): `referent approvals approve {report.approval_id}`",
                f"- then resume: `referent promote --resume {report.run_id}`",
            ]
    if report.alias_moved and report.previous_champion:
        out += [
            "",
            f"To undo: `referent rollback {report.model} --alias {report.alias}` "
            f"(restores v{report.previous_champion})",
        ]
    return out


def _mrkdwn_section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _button(action_id: str, style: str, label: str, approval_id: str) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "style": style,
        "value": approval_id,
        "text": {"type": "plain_text", "text": label},
    }


def _approval_actions(approval_id: str) -> dict[str, Any]:
    """Approve / Deny buttons; the block id and each button's value carry the approval id."""
    return {
        "type": "actions",
        "block_id": f"approval:{approval_id}",
        "elements": [
            _button(APPROVE_ACTION, "primary", "Approve", approval_id),
            _button(DENY_ACTION, "danger", "Deny", approval_id),
        ],
    }


def to_slack_blocks(report: PromotionReport) -> list[dict[str, Any]]:
    """Block Kit blocks; a pending approval gets Approve / Deny buttons whose value is the approval id."""
    gates = "\n".join(f"{ICON[g.status]} *{g.gate}*: {g.why}" for g in report.gates)[:2900]
    decision = f"*Decision: {decision_word(report)}*\n" + "\n".join(f"• {r}" for r in report.reasons)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": headline(report)[:150]}},
        _mrkdwn_section(gates or "_no gates ran_"),
        _mrkdwn_section(decision[:2900]),
    ]
    if report.missing_sources:
        blocks.append(_context(f"Sources that did not answer: {', '.join(report.missing_sources)}"))
    if report.approval_id and report.approval_status == "pending":
        blocks.append(_approval_actions(report.approval_id))
    blocks.append(_context(f"run `{report.run_id}`"))
    return blocks
