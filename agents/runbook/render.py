"""Runbook → Markdown (front matter + Meaning / Impact / Diagnosis / Mitigation) and Slack blocks."""

from __future__ import annotations

from typing import Any

import yaml

from agents.runbook.models import Runbook


def to_markdown(rb: Runbook) -> str:
    front = {
        "title": rb.alert,
        "alert": rb.alert,
        "severity": rb.severity,
        **({"owner": rb.owner} if rb.owner else {}),
        "component": rb.component,
        "category": rb.category,
        **rb.front_matter,
    }
    out = [
        "---",
        yaml.safe_dump(front, sort_keys=False).strip(),
        "---",
        "",
        f"# {rb.alert}",
        "",
        "## Meaning",
        "",
        rb.meaning,
        "",
        "## Impact",
        "",
    ]
    out += [f"- {line}" for line in rb.impact]
    out += ["", "## Diagnosis", ""]
    for q in rb.diagnosis:
        out += [
            f"### {q.title}",
            "",
            q.why[0].upper() + q.why[1:] + ".",
            "",
            "```promql",
            q.promql,
            "```",
            "",
        ]
    out += [f"- {step}" for step in rb.diagnosis_steps]
    if rb.diagnosis_steps:
        out.append("")
    out += ["## Mitigation", ""]
    out += [f"- {line}" for line in rb.mitigation]
    return "\n".join(out).rstrip() + "\n"


def to_slack_blocks(rb: Runbook) -> list[dict[str, Any]]:
    first = rb.diagnosis[0].promql if rb.diagnosis else ""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Runbook: {rb.alert}"[:150]}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"*Severity:* {rb.severity}  *Component:* {rb.component}  *Category:* {rb.category}"
                f"\n{rb.meaning}"[:3000],
            },
        },
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": ("*First check*\n```" + first + "```")[:3000]},
        },
    ]
    if rb.url:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{rb.url}|Full runbook>"}]}
        )
    return blocks
