"""Slack commands' long work as DBOS workflows: one step runs the agent, one step posts the answer.

A ``/referent`` command the gateway accepted is enqueued (:func:`enqueue`) on the workers' queue with a
workflow id derived from the Slack request's signature, so the same signed request delivered twice runs
once. The job runs the agent under its own principal (``agent:runbook``, ``agent:rightsizing``,
``agent:promotion``) with the Slack user as ``requested_by``, and answers in the command's channel with
``slack.post_message`` through the gateway (policy, redaction, audit). A promotion that waits for
approval posts Approve / Deny buttons; :func:`enqueue_resume` continues it once a human decided.

A job is a plain JSON dict::

    {"command": "promote", "args": {...}, "user": "slack:U…", "channel": "C…", "run_id": "…",
     "thread_ts": null, "message_ts": null}
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from dbos import DBOS, SetWorkflowID

from api.workers import dbos_app

log = logging.getLogger("referent.slack.jobs")

Answer = dict[str, Any]  # {"text": str, "blocks": list | None, "principal": str, "update": bool}


def _deps(services: Any, principal: str, run_id: str, user: str | None) -> Any:
    from agents.deps import AgentDeps
    from guardrails.gateway import CallContext

    ctx = CallContext(principal, run_id, requested_by=user)
    return AgentDeps(gateway=services.runtime.gateway, ctx=ctx, chat=services.chat, llm=services.llm)


def _runbook(services: Any, job: dict[str, Any]) -> Answer:
    from guardrails.errors import ToolFailed

    alert = job["args"]["alert"]
    deps = _deps(services, "agent:runbook", job["run_id"], job["user"])
    try:
        doc = deps.call("runbooks.find", alert=alert).data
    except ToolFailed as exc:
        if exc.failure != "not_found":
            raise
        text = (
            f"No runbook for `{alert}` in the library yet. Generate one from its rule with "
            f"`referent runbook --rule FILE --alert {alert}`."
        )
        return {"text": text, "blocks": None, "principal": "agent:runbook"}
    sections = ", ".join(doc.get("sections") or []) or "no sections"
    text = f"*Runbook for `{alert}`*: {doc.get('url')}\nSections: {sections}"
    return {"text": text, "blocks": None, "principal": "agent:runbook"}


def _rightsize(services: Any, job: dict[str, Any]) -> Answer:
    """Rightsizing of a namespace, else of a team's workloads (``label_team``), else of everything."""
    from agents.rightsizing.graph import run_rightsizing
    from agents.rightsizing.render import headline, to_slack_blocks

    scope = job["args"].get("scope")
    deps = _deps(services, "agent:rightsizing", job["run_id"], job["user"])
    report = run_rightsizing(deps, namespace=scope, store=services.reports)
    if scope and not report.recommendations:  # not a namespace: the team's workloads of a full run
        return _team_answer(scope, run_rightsizing(deps, store=services.reports))
    return {"text": headline(report), "blocks": to_slack_blocks(report), "principal": "agent:rightsizing"}


def _team_answer(team: str, report: Any) -> Answer:
    """The workloads of ``team`` in a full rightsizing report, largest savings first."""
    from agents.rightsizing.render import money

    cur = report.pricing.currency
    mine = sorted((r for r in report.recommendations if r.team == team), key=lambda r: -r.monthly_savings)
    if not mine:
        text = f"No workload found in namespace or team `{team}`."
        return {"text": text, "blocks": None, "principal": "agent:rightsizing"}
    total = sum(r.monthly_savings for r in mine)
    lines = [
        f"• *{r.namespace}/{r.workload}* {r.action} — {money(r.monthly_savings, cur)}/mo (risk {r.risk})"
        for r in mine[:15]
    ]
    text = f"*Team `{team}`*: {len(mine)} workload(s), {money(total, cur)}/month to save\n" + "\n".join(lines)
    return {"text": text[:3900], "blocks": None, "principal": "agent:rightsizing"}


def _finops(services: Any, job: dict[str, Any]) -> Answer:
    from agents.finops.slack import report_message
    from api.workers.finops import build_report

    report = build_report(services, job["run_id"], requested_by=job["user"])
    text, blocks = report_message(report, services.settings.public_url)
    return {"text": text, "blocks": blocks, "principal": "agent:rightsizing"}


def _promotion_answer(report: Any) -> Answer:
    from agents.promotion.render import headline, to_slack_blocks

    return {"text": headline(report), "blocks": to_slack_blocks(report), "principal": "agent:promotion"}


def _promote(services: Any, job: dict[str, Any]) -> Answer:
    from agents.promotion import run_promotion
    from agents.promotion.checkpoint import checkpointer

    a = job["args"]
    deps = _deps(services, "agent:promotion", job["run_id"], job["user"])
    with checkpointer(services.runtime.settings) as saver:
        report = run_promotion(
            deps, a["model"], a["version"], a["environment"], checkpointer=saver, reports=services.reports
        )
    return _promotion_answer(report)


def _rollback(services: Any, job: dict[str, Any]) -> Answer:
    from agents.promotion import run_rollback
    from agents.promotion.checkpoint import checkpointer

    deps = _deps(services, "agent:promotion", job["run_id"], job["user"])
    with checkpointer(services.runtime.settings) as saver:
        report = run_rollback(deps, job["args"]["model"], checkpointer=saver, reports=services.reports)
    return _promotion_answer(report)


def _resume(services: Any, job: dict[str, Any]) -> Answer:
    from agents.promotion import resume_run
    from agents.promotion.checkpoint import checkpointer

    deps = _deps(services, "agent:promotion", job["run_id"], job.get("requested_by") or None)
    with checkpointer(services.runtime.settings) as saver:
        report = resume_run(deps, checkpointer=saver, reports=services.reports)
    return {**_promotion_answer(report), "update": True}


JOBS: dict[str, Callable[[Any, dict[str, Any]], Answer]] = {
    "runbook": _runbook,
    "rightsize": _rightsize,
    "finops": _finops,
    "promote": _promote,
    "rollback": _rollback,
    "resume": _resume,
}


@DBOS.step(name="referent.slack.work")
def work(job: dict[str, Any]) -> Answer:
    """Run the job's agent (one step: a whole agent run) and return what to post."""
    from guardrails.errors import GatewayError

    services = dbos_app.services()
    try:
        return JOBS[job["command"]](services, job)
    except GatewayError as exc:  # refused or failed through the gateway: say so, politely
        reason = exc.message
    except Exception as exc:  # an agent error ends the job with an answer, not in silence
        log.warning("slack job %s failed: %s", job["command"], type(exc).__name__)
        reason = f"{type(exc).__name__}: {exc}"
    text = f"Sorry, `/referent {job['command']}` could not finish: {reason}"
    return {"text": text, "blocks": None, "principal": "agent:slack-jobs"}


@DBOS.step(name="referent.slack.answer", retries_allowed=True, max_attempts=3)
def answer(job: dict[str, Any], reply: Answer) -> dict[str, Any]:
    """Post the reply in the command's channel (in the thread of ``thread_ts``) through the gateway."""
    from guardrails.errors import ToolFailed
    from guardrails.gateway import CallContext

    gateway = dbos_app.services().runtime.gateway
    principal = reply.get("principal") or "agent:slack-jobs"
    ctx = CallContext(principal, job["run_id"], requested_by=job.get("user") or None)
    posted: dict[str, Any] = {}
    if reply.get("update") and job.get("message_ts"):  # the message that carried the buttons
        args = {"channel": job["channel"], "ts": job["message_ts"], "text": reply["text"]}
        try:
            posted = dict(
                gateway.call(ctx, "slack.update_message", {**args, "blocks": reply.get("blocks")}).data
            )
        except ToolFailed as exc:  # deleted or too old to edit: the thread reply below still says it
            log.warning("could not update the approval message: %s", exc.failure)
    args = {"channel": job["channel"], "text": reply["text"], "blocks": reply.get("blocks")}
    thread = job.get("thread_ts") or job.get("message_ts")
    if thread:
        args["thread_ts"] = thread
    return {**posted, **dict(gateway.call(ctx, "slack.post_message", args).data)}


@DBOS.workflow(name="referent.slack.job")
def slack_job(job: dict[str, Any]) -> dict[str, Any]:
    """A ``/referent`` command's background work: the agent run, then the answer in Slack."""
    return answer(job, work(job))


def enqueue(job: dict[str, Any], workflow_id: str) -> str:
    """Enqueue ``job`` on the workers' queue under ``workflow_id`` (the same id never runs twice)."""
    with SetWorkflowID(workflow_id):
        handle = DBOS.enqueue_workflow(dbos_app.TRIAGE_QUEUE, slack_job, job)
    return handle.get_workflow_id()


def enqueue_resume(approval: Any, channel: str, message_ts: str | None) -> str | None:
    """Continue the promotion run that waited for ``approval`` (None when no promotion run waits for it)."""
    from api.workers.promotions import waiting_run

    if not waiting_run(approval):
        return None
    job = {
        "command": "resume",
        "args": {"approval_id": approval.id},
        "user": None,
        "requested_by": getattr(approval, "requested_by", "") or None,
        "channel": channel,
        "run_id": approval.run_id,
        "thread_ts": None,
        "message_ts": message_ts,
    }
    return enqueue(job, f"slack-resume-{approval.id}")


def new_run_id(command: str) -> str:
    return f"slack-{command}-{uuid.uuid4().hex[:10]}"
