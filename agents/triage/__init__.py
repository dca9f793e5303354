"""The triage agent: from an alert to ranked, evidence-cited root-cause hypotheses (or an abstention).

The names below are re-exported lazily (PEP 562): ``from agents.triage.alert import parse_alerts``
does not load the graph, the collectors or LangGraph.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents.lazy import lazy_exports

if TYPE_CHECKING:
    from agents.triage.alert import (
        AlertError,
        NormalizedAlert,
        label_fingerprint,
        normalize_alert,
        parse_alerts,
    )
    from agents.triage.models import Hypothesis, TriageReport
    from agents.triage.render import to_markdown, to_slack_blocks
    from agents.triage.run import run_triage, triage_payload

_EXPORTS = {
    "AlertError": "agents.triage.alert",
    "NormalizedAlert": "agents.triage.alert",
    "label_fingerprint": "agents.triage.alert",
    "normalize_alert": "agents.triage.alert",
    "parse_alerts": "agents.triage.alert",
    "Hypothesis": "agents.triage.models",
    "TriageReport": "agents.triage.models",
    "to_markdown": "agents.triage.render",
    "to_slack_blocks": "agents.triage.render",
    "run_triage": "agents.triage.run",
    "triage_payload": "agents.triage.run",
}

__all__ = [
    "AlertError",
    "Hypothesis",
    "NormalizedAlert",
    "TriageReport",
    "label_fingerprint",
    "normalize_alert",
    "parse_alerts",
    "run_triage",
    "to_markdown",
    "to_slack_blocks",
    "triage_payload",
]


__getattr__ = lazy_exports(__name__, _EXPORTS, globals())
