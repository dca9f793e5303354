"""Deliver a FinOps report to Slack through the gateway: a summary (Block Kit) with the link to the
report's page (``<public URL>/finops/reports/<id>``, served by ``referent serve`` with its charts).

The post is the gateway tool ``slack.post_message``: policy-checked, redacted and audited like every
other call. ``referent finops report --slack`` and the scheduled report use this one function.
"""

from __future__ import annotations

from typing import Any

from agents.deps import AgentDeps
from agents.finops.models import FinOpsReport
from agents.finops.render import savings_line, to_slack_blocks


def report_url(public_url: str, report_id: str) -> str:
    """Where the pages router serves a stored report's HTML."""
    return f"{public_url.rstrip('/')}/finops/reports/{report_id}"


def report_message(report: FinOpsReport, public_url: str) -> tuple[str, list[dict[str, Any]]]:
    """The Slack text and blocks of a stored report, with the link to its page."""
    url = report_url(public_url, report.report_id or "")
    link = {"type": "section", "text": {"type": "mrkdwn", "text": f"<{url}|Full report with charts>"}}
    return f"{savings_line(report)} Full report: {url}", [*to_slack_blocks(report), link]


def post_report(deps: AgentDeps, report: FinOpsReport, channel: str, public_url: str) -> dict[str, Any]:
    """Post the stored ``report`` to ``channel`` through the gateway; Slack's ``{"channel", "ts"}``.

    Raises:
        guardrails.errors.GatewayError: the policy refused the post or Slack failed (audited either way).
    """
    text, blocks = report_message(report, public_url)
    return dict(deps.call("slack.post_message", channel=channel, text=text, blocks=blocks).data)
