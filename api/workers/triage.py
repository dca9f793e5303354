"""Alert intake and background triage as DBOS workflows.

``enqueue_alerts`` (Slack's ``/referent triage``) and ``enqueue_alerts_async`` (the webhooks) parse the
alerts, open one incident per alert (id from fingerprint + ``startsAt``) and enqueue one workflow per
incident on the triage queue: DBOS builds the ``ENQUEUED`` status row with the serialized inputs and
``init_workflow_with_connection`` inserts it, committed before the call returns, so an alert is durable
before the webhook answers 2xx. The webhooks' concurrent deliveries are group-committed
(:class:`GroupCommit`): one state-DB and one DBOS transaction per group instead of per alert.

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

import asyncio
import logging
import time
import uuid
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from dbos import DBOS

from agents.deps import AgentDeps
from agents.triage import NormalizedAlert, TriageReport, parse_alerts, run_triage, to_slack_blocks
from api.service.enqueue import StatusTemplates, insert_enqueued
from api.service.incidents import Incident, incident_id
from api.workers import dbos_app
from guardrails.errors import GatewayError
from guardrails.gateway import CallContext

if TYPE_CHECKING:
    from api.service.services import Services

log = logging.getLogger("referent.triage")

PRINCIPAL = "agent:triage"
_TEMPLATES = StatusTemplates()


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


def _prepare(services: Services, alerts: Any, source: str) -> _Batch:
    """Parse, redact and serialize a delivery's alerts in the intake's thread (no database yet)."""
    from dbos._dbos import _get_dbos_instance

    dbos, queue = _get_dbos_instance(), dbos_app.triage_queue().name
    batch = _Batch()
    for alert in parse_alerts(alerts):
        iid = incident_id(alert.fingerprint, alert.starts_at)
        batch.ids.append(iid)
        batch.outcomes.append(alert.status)
        if iid in batch.seen:  # a payload repeating an alert: one incident, one workflow
            continue
        batch.seen.add(iid)
        incident, workflow_input = _redacted(services, alert, iid)
        batch.incidents.append(replace(incident, source=source))
        func: Any
        args: tuple[Any, ...]
        if alert.status == "firing":
            func, wid, args = triage_workflow, f"triage-{iid}", (iid, workflow_input)
        else:
            ends = alert.ends_at.isoformat() if alert.ends_at else None
            func, wid, args = resolve_workflow, f"resolve-{iid}", (iid, ends)
        batch.statuses.append(_TEMPLATES.status(dbos, func, args, queue=queue, workflow_id=wid))
    return batch


@dataclass
class _Batch:
    """One delivery, prepared: incident ids (payload order), incident rows and DBOS status rows."""

    ids: list[str] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    incidents: list[Incident] = field(default_factory=list)
    statuses: list[Any] = field(default_factory=list)


def _commit(services: Services, batches: list[_Batch]) -> None:
    """Commit the batches' incident rows (one state-DB transaction), then their DBOS workflows.

    The workflows are built by DBOS (``prepare_enqueued_workflow``: the ``ENQUEUED`` status row and
    the serialized inputs, as ``Queue.enqueue`` builds them) and inserted with
    ``SystemDatabase.init_workflow_with_connection`` (what ``DBOSClient.enqueue_in_transaction`` uses)
    in one transaction: an existing workflow id is kept, as ``Queue.enqueue`` with that id would keep
    it. A crash between the two transactions leaves incidents without workflows and no 2xx: the
    sender's retry enqueues them (the incident insert is then a no-op).
    """
    from dbos._dbos import _get_dbos_instance

    incidents, statuses, seen = [], [], set()
    for batch in batches:
        incidents.extend(batch.incidents)
        for status in batch.statuses:  # two deliveries of one alert in one group: the first one
            if status["workflow_uuid"] not in seen:
                seen.add(status["workflow_uuid"])
                statuses.append(status)
    services.incidents.open_many(incidents)
    insert_enqueued(_get_dbos_instance()._sys_db, statuses)


def _prepare_and_commit(services: Services, deliveries: list[tuple[Any, str]]) -> list[_Batch | Exception]:
    """Prepare every delivery (a bad one gets its own error) and commit the good ones together."""
    prepared: list[_Batch | Exception] = []
    for alerts, source in deliveries:
        try:
            prepared.append(_prepare(services, alerts, source))
        except Exception as exc:  # this delivery's error (422) only
            prepared.append(exc)
    _commit(services, [b for b in prepared if isinstance(b, _Batch)])
    return prepared


class GroupCommit:
    """Group commit of concurrent webhook deliveries on one event loop: two transactions per group.

    Each delivery waits on its own future. While a group is committing, new deliveries queue up; the
    next group takes them all. Parsing, redaction, serialization and the commits run on one thread
    (:data:`_COMMIT_THREAD`), so a group costs one hand-off instead of one thread per request. A
    delivery's future resolves only after the commit that holds it, and a failed commit fails every
    delivery of its group, so none of them answers 2xx.
    """

    def __init__(self) -> None:
        self._pending: list[tuple[Services, Any, str, asyncio.Future[_Batch]]] = []
        self._task: asyncio.Task[None] | None = None

    async def submit(self, services: Services, alerts: Any, source: str) -> _Batch:
        """The delivery's batch, once committed (raises its parse error or the group's commit error)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[_Batch] = loop.create_future()
        self._pending.append((services, alerts, source, future))
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            group, self._pending = self._pending, []
            for services in {id(g[0]): g[0] for g in group}.values():
                mine = [g for g in group if g[0] is services]
                try:
                    results = await loop.run_in_executor(
                        _COMMIT_THREAD, _prepare_and_commit, services, [(g[1], g[2]) for g in mine]
                    )
                except Exception as exc:  # the commit failed: every delivery of the group fails
                    results = [exc] * len(mine)
                for (_, _, _, future), result in zip(mine, results, strict=True):
                    if future.done():  # the request was cancelled; its alerts may be committed
                        continue
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)


_COMMIT_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="referent-intake")
_groups: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, GroupCommit] = weakref.WeakKeyDictionary()


async def enqueue_alerts_async(services: Services, alerts: Any, source: str) -> list[str]:
    """:func:`enqueue_alerts` for the webhooks: concurrent deliveries are committed together."""
    loop = asyncio.get_running_loop()
    group = _groups.get(loop)
    if group is None:
        group = _groups[loop] = GroupCommit()
    batch = await group.submit(services, alerts, source)
    _count(services, batch, source)
    return batch.ids


def _count(services: Services, batch: _Batch, source: str) -> None:
    for outcome in batch.outcomes:
        services.metrics.alerts.labels(source=source, outcome=outcome).inc()


def enqueue_alerts(
    services: Services, alerts: list[dict[str, Any]] | dict[str, Any], source: str
) -> list[str]:
    """Open an incident per alert and enqueue its triage (or resolution); return the incident ids.

    Args:
        services: the process's services (DBOS must be launched: :func:`dbos_app.launch`).
        alerts: an Alertmanager v4 payload, a list of alerts, or one alert (any shape triage accepts).
        source: where they came from (``alertmanager``, ``pagerduty``, ``slack``, ``api``).

    Returns:
        One incident id per alert, in payload order (a repeated alert repeats its id); durable when
        this returns.

    Raises:
        agents.triage.AlertError: the payload is not alerts (the caller answers 422).
    """
    batch = _prepare(services, alerts, source)
    _commit(services, [batch])
    _count(services, batch, source)
    return batch.ids


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
                "channel": services.settings.channel_for(labels, services.runtime.policy),
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
