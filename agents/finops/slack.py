"""Deliver a FinOps report to Slack: a summary message (Block Kit) and the HTML report as a file."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from agents.finops.models import FinOpsReport
from agents.finops.render import savings_line, to_html, to_slack_blocks


def deliver_to_slack(report: FinOpsReport, client: WebClient, channel: str) -> dict[str, Any]:
    """Post the summary to ``channel`` and upload the HTML report (``files_upload_v2``) in its thread.

    Args:
        report: the report to deliver.
        client: an injected Slack ``WebClient`` (its token and ``base_url`` decide where this goes).
        channel: channel id to post to.

    Returns:
        ``{"channel", "ts", "file_id"}`` of what was posted.

    Raises:
        slack_sdk.errors.SlackApiError: Slack refused a call.
    """
    posted = client.chat_postMessage(
        channel=channel, text=savings_line(report), blocks=to_slack_blocks(report)
    )
    ts = posted.get("ts")
    upload = client.files_upload_v2(
        channel=channel,
        content=to_html(report),
        filename=f"finops-report-{report.generated_at:%Y-%m-%d}.html",
        title=f"FinOps report {report.generated_at:%Y-%m-%d}",
        thread_ts=ts,
        initial_comment="Full report with charts (HTML)",
    )
    files = upload.get("files") or [{}]
    return {"channel": posted.get("channel", channel), "ts": ts, "file_id": files[0].get("id")}
