"""A runbook distilled from a resolved incident: the triage report's evidence and the actions taken.

Meaning comes from the alert and the confirmed cause; Diagnosis from the PromQL the triage run
actually used (re-validated by Prometheus's parser) plus the non-PromQL checks it made; Mitigation
from the suggested next actions and the writes the audit log shows were performed for the incident.
"""

from __future__ import annotations

from typing import Any

from agents.deps import AgentDeps
from agents.runbook import sections
from agents.runbook.models import DiagnosisQuery, Runbook
from agents.runbook.render import to_markdown
from agents.triage.models import TriageReport
from guardrails.errors import GatewayError


class IncidentError(ValueError):
    """The report is missing or is not a triage report."""


def _promql(report: TriageReport) -> list[DiagnosisQuery]:
    seen: dict[str, DiagnosisQuery] = {}
    for ev in report.evidence:
        if ev.source == "prometheus" and ev.query and ev.query not in seen and "{" in ev.query + "(":
            seen[ev.query] = DiagnosisQuery(
                title=ev.summary[:120] or "Evidence query",
                promql=ev.query,
                why=f"used as evidence {ev.id} during the incident",
                evidence_id=ev.id,
            )
    return list(seen.values())


def runbook_from_incident(deps: AgentDeps, report: TriageReport, actions_taken: list[str]) -> Runbook:
    """Build (and validate) the runbook for ``report``'s alert from what the incident taught."""
    if report.abstained or not report.hypotheses:
        raise IncidentError(f"report {report.run_id} has no established cause to learn from")
    top = report.hypotheses[0]
    queries = _promql(report)
    if queries:
        checks = deps.call("promtool.check_queries", queries=[q.promql for q in queries]).data
        queries = [q for q, c in zip(queries, checks, strict=True) if c["valid"]]
    other = [
        f"{ev.summary} ({ev.source}: `{ev.query}`)" for ev in report.evidence if ev.source != "prometheus"
    ]
    alert = report.alert
    meaning = (
        f"{alert.summary}. In incident {report.run_id} the cause was: {top.title} "
        f"(confidence {top.confidence:.0%}). {top.explanation}"
    ).strip()
    mitigation = [a.title + (f": `{a.command}`" if a.command else "") for a in report.next_actions]
    mitigation += [f"Done during the incident: {a}" for a in actions_taken]
    ml = bool(alert.labels.get("model"))
    words = " ".join([alert.alertname, *alert.labels])
    component = "ml-model" if ml else sections.component_of_text(words, skip=("ml-model",))
    return Runbook(
        alert=alert.alertname,
        severity=alert.severity,
        owner=alert.labels.get("team"),
        component=component,
        category=sections.category_of(component),
        ml_component=ml,
        meaning=meaning,
        impact=[f"Observed: {c.detail or c.signal}" for c in top.contributions[:4]]
        or ["See the incident report."],
        diagnosis=queries,
        diagnosis_steps=other[:8],
        mitigation=mitigation or ["See the incident report."],
        front_matter={"from_incident": report.run_id, "generated_by": "referent runbook --from-incident"},
        mode=deps.mode,
    )


def actions_from_audit(audit: Any, run_ids: list[str]) -> list[str]:
    """Writes that were performed (outcome ok) in the incident's runs, as readable lines."""
    lines = []
    for run_id in run_ids:
        for rec in audit.tail(500, run_id):
            if rec.action != "read" and rec.outcome == "ok":
                lines.append(f"{rec.tool} {rec.arguments} (approved by {rec.approver or 'policy'})")
    return lines


def store_incident_runbook(deps: AgentDeps, rb: Runbook) -> Runbook:
    try:
        doc = deps.call("runbooks.save", alert=rb.alert, markdown=to_markdown(rb)).data
        rb.url = doc.get("url")
    except GatewayError:
        rb.url = None
    return rb
