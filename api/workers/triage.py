"""Alert intake and background triage as DBOS workflows.

``enqueue_alerts`` (used by the webhooks and by Slack's ``/referent triage``) parses the alerts, opens
one incident per firing (id from fingerprint + ``startsAt``) and enqueues one workflow per incident on
the triage queue. DBOS writes the workflow's inputs to its system database inside the enqueue call
(``init_workflow`` inserts the ``ENQUEUED`` status row with the serialized inputs before returning), so
an alert is durable once ``enqueue_alerts`` returns — before the webhook answers 2xx.

Workflow ids are idempotency keys: ``triage-<incident>`` for a firing, ``resolve-<incident>`` for its
resolution. The same firing delivered twice (Alertmanager repeats, two replicas, a retry after a lost
2xx) attaches to the existing workflow instead of starting another.

``triage_workflow``: one step runs the whole agent (``run_triage``; the LangGraph run keeps its own
checkpointer), stores the report and attaches it to the incident; a second step posts it to Slack in
the incident's thread through the gateway (``slack.post_message``). ``resolve_workflow`` closes the
incident and updates its Slack message (``slack.update_message``); a resolved alert is never triaged,
so it proposes no write.

Stored and workflow copies of an alert carry redacted annotations and ``generatorURL``; labels stay as
the alert sent them in the workflow input (the collectors query by them) and are redacted in the
incident row.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from dbos import DBOS, SetWorkflowID

from agents.deps import AgentDeps
from agents.triage import NormalizedAlert, TriageReport, parse_alerts, run_triage, to_slack_blocks
from api.service.incidents import Incident, incident_id
from api.workers import dbos_app
from guardrails.errors import GatewayError
from guardrails.gateway import CallContext

if TYPE_CHECKING:
    from api.service.services import Services

log = logging.getLogger("referent.triage")

PRINCIPAL = "agent:triage"


def _redacted(services: Services, alert: NormalizedAlert, iid: str) -> tuple[Incident, dict[str, Any]]:
    """The incident row (labels and annotations redacted) and the workflow input (labels as sent)."""
    redactor = services.runtime.gateway.redactor
    annotations = redactor.redact_obj(alert.annotations, iid)
    incident = Incident(
        id=iid,
        fingerprint=alert.fingerprint,
        alertname=alert.alertname,
        status="triaging" if alert.status == "firing" else "resolved",
        severity=alert.severity,
        source="",
        labels=redactor.redact_obj(alert.labels, iid),
        annotations=annotations,
        starts_at=alert.starts_at,
        ends_at=alert.ends_at,
    )
    url = redactor.redact_text(alert.generator_url, iid) if alert.generator_url else ""
    return incident, alert.model_copy(update={"annotations": annotations, "generator_url": url}).model_dump(
        mode="json"
    )


def enqueue_alerts(
    services: Services, alerts: list[dict[str, Any]] | dict[str, Any], source: str
) -> list[str]:
    """Open an incident per alert and enqueue its triage (or resolution); return the incident ids.

    Args:
        services: the process's services (DBOS must be launched: :func:`dbos_app.launch`).
        alerts: an Alertmanager v4 payload, a list of alerts, or one alert (any shape triage accepts).
        source: where they came from (``alertmanager``, ``pagerduty``, ``slack``, ``api``).

    Returns:
        One incident id per distinct alert, in payload order; durable when this returns.

    Raises:
        agents.triage.AlertError: the payload is not alerts (the caller answers 422).
    """
    queue = dbos_app.triage_queue()
    ids: list[str] = []
    for alert in parse_alerts(alerts):
        iid = incident_id(alert.fingerprint, alert.starts_at)
        incident, workflow_input = _redacted(services, alert, iid)
        services.incidents.open(replace(incident, source=source))
        if alert.status == "firing":
            with SetWorkflowID(f"triage-{iid}"):
                queue.enqueue(triage_workflow, iid, workflow_input)
        else:
            ends = alert.ends_at.isoformat() if alert.ends_at else None
            with SetWorkflowID(f"resolve-{iid}"):
                queue.enqueue(resolve_workflow, iid, ends)
        services.metrics.alerts.labels(source=source, outcome=alert.status).inc()
        ids.append(iid)
    return ids


def triage_now(
    services: Services, alert: NormalizedAlert, *, scope: str | None = None, requested_by: str | None = None
) -> TriageReport:
    """Run triage on one alert in this thread and store the report (``POST /v1/triage``, workers).

    The agent calls tools as ``agent:triage``; ``requested_by`` is the human (``token:…``) who asked.
    A resolved alert is triaged for the record but its report proposes no write (no next actions).
    """
    run_id = f"triage-{uuid.uuid4().hex[:12]}"
    ctx = CallContext(principal=PRINCIPAL, run_id=run_id, scope=scope, requested_by=requested_by)
    deps = AgentDeps(gateway=services.runtime.gateway, ctx=ctx, chat=services.chat, llm=services.llm)
    started = time.monotonic()
    report = run_triage(deps, alert, store=services.reports)
    services.metrics.triage_seconds.observe(time.monotonic() - started)
    if alert.status != "firing":
        report = report.model_copy(update={"next_actions": []})
    return report


@DBOS.step(retries_allowed=False)
def triage_step(iid: str, alert: dict[str, Any]) -> str | None:
    """Run the triage agent once for the incident and attach the stored report; return its id.

    Returns the existing report when the incident already has one (a step re-run after a crash
    between the store and DBOS's checkpoint), and None when the incident is resolved or unknown.
    """
    services = dbos_app.services()
    incident = services.incidents.get(iid)
    if incident is None or incident.status == "resolved":
        return None
    if incident.report_ids:
        return incident.report_ids[0]
    run = services.run_triage or triage_now
    report = run(services, NormalizedAlert.model_validate(alert), scope=iid)
    if report.report_id is None:
        return None
    services.incidents.add_report(iid, report.report_id)
    return report.report_id


def _incident_url(services: Services, iid: str) -> str:
    return f"{services.settings.public_url.rstrip('/')}/incidents/{iid}"


def _slack_call(services: Services, iid: str, tool: str, args: dict[str, Any]) -> dict[str, Any] | None:
    ctx = CallContext(principal=PRINCIPAL, run_id=f"slack-{iid}", scope=iid)
    try:
        result = services.runtime.gateway.call(ctx, tool, args)
    except GatewayError as exc:  # Slack down or not configured: the report stays stored and served
        log.warning("%s for %s failed: %s", tool, iid, exc.kind)
        return None
    data = result.data
    return data if isinstance(data, dict) else getattr(data, "model_dump", lambda: None)()


@DBOS.step(retries_allowed=True, max_attempts=3)
def post_report_step(iid: str, report_id: str, labels: dict[str, str]) -> str | None:
    """Post the report in the incident's Slack thread (opening the thread first); return the reply's ts."""
    services = dbos_app.services()
    incident, stored = services.incidents.get(iid), services.reports.get(report_id)
    if incident is None or stored is None:
        return None
    report = TriageReport.model_validate_json(stored.body_json)
    channel, thread = incident.slack_channel, incident.slack_ts
    if thread is None:
        head = f":rotating_light: {incident.alertname} ({incident.severity}) — incident {iid}"
        root = _slack_call(
            services,
            iid,
            "slack.post_message",
            {
                "channel": services.settings.channel_for(labels),
                "text": f"{head} <{_incident_url(services, iid)}|report>",
            },
        )
        if root is None:
            return None
        channel, thread = str(root["channel"]), str(root["ts"])
        services.incidents.set_slack_thread(iid, channel, thread)
    text = f"Triage of {incident.alertname}: {_incident_url(services, iid)}"
    reply = _slack_call(
        services,
        iid,
        "slack.post_message",
        {"channel": channel, "thread_ts": thread, "text": text, "blocks": to_slack_blocks(report)},
    )
    return None if reply is None else str(reply.get("ts"))


@DBOS.workflow(name="referent.triage")
def triage_workflow(iid: str, alert: dict[str, Any]) -> str | None:
    """Triage one firing incident, then post the report to Slack; returns the report id."""
    report_id = triage_step(iid, alert)
    if report_id is not None:
        post_report_step(iid, report_id, alert.get("labels") or {})
    return report_id


@DBOS.step(retries_allowed=True, max_attempts=3)
def resolve_step(iid: str, ends_at: str | None) -> bool:
    """Close the incident and mark its Slack message resolved; True when the incident exists."""
    from datetime import datetime

    services = dbos_app.services()
    incident = services.incidents.resolve(iid, datetime.fromisoformat(ends_at) if ends_at else None)
    if incident is None:
        return False
    if incident.slack_channel and incident.slack_ts:
        text = f":white_check_mark: {incident.alertname} resolved — incident {iid} <{_incident_url(services, iid)}|report>"
        _slack_call(
            services,
            iid,
            "slack.update_message",
            {"channel": incident.slack_channel, "ts": incident.slack_ts, "text": text},
        )
    return True


@DBOS.workflow(name="referent.resolve")
def resolve_workflow(iid: str, ends_at: str | None) -> bool:
    """Resolve an incident (no triage, so no proposed write)."""
    return resolve_step(iid, ends_at)
