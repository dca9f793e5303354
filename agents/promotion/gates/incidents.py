"""Gate: no open incident for the model.

An incident is open when an alert naming the model (label ``model``) is firing or pending in
Prometheus — its condition holds now — or when :func:`agents.promotion.incidents.open_incidents` finds
one in the stored triage reports (latest report per alert, not an abstention, alert not resolved).
Resolved incidents and abstentions do not block.
"""

from __future__ import annotations

from agents.promotion.models import GateResult, GateStatus, PromotionFacts

NAME = "no_open_incident"


def check(facts: PromotionFacts, _settings: object = None) -> GateResult:
    """Fail on any alert or open triage report for the model."""
    inc = facts.incidents
    if inc is None:
        return GateResult(
            gate=NAME,
            status=GateStatus.FAIL,
            why=f"cannot verify: alerts not read ({facts.unavailable.get('prometheus', 'unavailable')})",
        )
    lines = [
        f"alert {a.get('alertname', '?')} {a.get('state', 'firing')} since {a.get('active_at', '?')} "
        f"({a.get('severity', '')})"
        for a in inc.alerts
    ]
    lines += [
        f"triage report {r.get('id')} ({r.get('status', 'open')}): {r.get('subject', '')}"
        for r in inc.open_reports
    ]
    if lines:
        return GateResult(
            gate=NAME,
            status=GateStatus.FAIL,
            details=lines,
            evidence=inc.evidence,
            why=f"{len(lines)} open incident signal(s) for {facts.model}: {lines[0]}",
        )
    return GateResult(
        gate=NAME,
        status=GateStatus.PASS,
        evidence=inc.evidence,
        why=f"no alert firing or pending and no open triage report for {facts.model}",
    )
