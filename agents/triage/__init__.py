"""The triage agent: from an alert to ranked, evidence-cited root-cause hypotheses (or an abstention)."""

from agents.triage.alert import AlertError, NormalizedAlert, label_fingerprint, normalize_alert, parse_alerts
from agents.triage.models import Hypothesis, TriageReport
from agents.triage.render import to_markdown, to_slack_blocks
from agents.triage.run import run_triage, triage_payload

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
