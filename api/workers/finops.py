"""The scheduled FinOps report: a DBOS cron workflow that builds, stores, links and posts the report.

The report is built by :func:`agents.finops.report.run_finops_report` under ``agent:rightsizing``, the
very function and principal ``referent finops report`` uses on demand. It is stored in the report
store (kind ``finops``), served as HTML with its charts at ``<public_url>/finops/reports/<id>`` (the
pages router), and posted to ``REFERENT_SLACK_CHANNEL`` with ``slack.post_message`` through the gateway
(policy, redaction, audit).

The schedule is ``REFERENT_FINOPS_CRON`` (weekly by default; a sixth leading field means seconds).
DBOS 3 applies schedules at run time: :func:`install_schedule` creates or replaces it after
``DBOS.launch()`` (the same on every replica); DBOS starts each tick once, with a workflow id of the
schedule and the tick time, so two replicas never build the same week's report twice.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from dbos import DBOS

from api.workers import dbos_app

log = logging.getLogger("referent.finops")

PRINCIPAL = "agent:rightsizing"  # the principal of `referent finops report`
SCHEDULE_NAME = "referent-finops-report"


def build_report(services: Any, run_id: str, *, requested_by: str | None = None) -> Any:
    """Build and store the FinOps report (``run_finops_report``, as ``referent finops report`` does)."""
    from agents.deps import AgentDeps
    from agents.finops.report import run_finops_report
    from guardrails.gateway import CallContext

    ctx = CallContext(PRINCIPAL, run_id, requested_by=requested_by)
    deps = AgentDeps(gateway=services.runtime.gateway, ctx=ctx, chat=services.chat, llm=services.llm)
    return run_finops_report(deps, store=services.reports)


@DBOS.step(name="referent.finops.build")
def _build(run_id: str) -> str:
    """Build and store the report; its id."""
    return str(build_report(dbos_app.services(), run_id).report_id)


@DBOS.step(name="referent.finops.post", retries_allowed=True, max_attempts=3)
def _post(run_id: str, report_id: str) -> dict[str, Any]:
    """Post the stored report to the configured channel through the gateway."""
    from agents.deps import AgentDeps
    from agents.finops.models import FinOpsReport
    from agents.finops.slack import post_report
    from guardrails.gateway import CallContext

    services = dbos_app.services()
    stored = services.reports.get(report_id)
    if stored is None:
        raise LookupError(f"FinOps report {report_id} is not in the report store")
    report = FinOpsReport.model_validate_json(stored.body_json)
    report.report_id = report_id
    deps = AgentDeps(gateway=services.runtime.gateway, ctx=CallContext(PRINCIPAL, run_id))
    return post_report(deps, report, services.settings.slack_channel, services.settings.public_url)


@DBOS.workflow(name="referent.finops.scheduled")
def scheduled_report(scheduled_time: datetime, context: Any) -> dict[str, Any]:
    """One tick of the schedule: build and store the report, then post it with its link."""
    run_id = f"finops-{scheduled_time:%Y%m%dT%H%M%S}"
    report_id = _build(run_id)
    try:
        posted = _post(run_id, report_id)
    except Exception as exc:  # the report is stored and served even when Slack refuses it
        log.warning("FinOps report %s not posted: %s", report_id, type(exc).__name__)
        posted = {"error": type(exc).__name__}
    return {"report_id": report_id, "run_id": run_id, **posted}


def install_schedule(services: Any) -> None:
    """Create or replace the FinOps schedule with ``services.settings.finops_cron`` (after launch).

    Raises:
        ValueError: the cron expression is not valid.
    """
    dbos_app.apply_schedule(
        SCHEDULE_NAME, scheduled_report, services.settings.finops_cron, "REFERENT_FINOPS_CRON"
    )
