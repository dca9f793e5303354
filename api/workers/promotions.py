"""Promotion runs started or resumed through REST ``/v1``: DBOS workflows around one agent run each.

``POST /v1/promotions`` enqueues :func:`promotion_workflow` (the promotion agent as ``agent:promotion``
with the API caller as ``requested_by``); a run that reaches a production alias move pauses on a human
approval (LangGraph interrupt + checkpointer). ``POST /v1/approvals/{id}/approve`` decides it and, when
a paused run waits for that approval, :func:`enqueue_resume` continues it on a worker. The workflow id
of a resume is derived from the approval id, so a retried request never resumes twice.
"""

from __future__ import annotations

from typing import Any

from dbos import DBOS, SetWorkflowID

from api.workers import dbos_app

PRINCIPAL = "agent:promotion"


def _deps(run_id: str, requested_by: str | None) -> Any:
    from agents.deps import AgentDeps
    from guardrails.gateway import CallContext

    services = dbos_app.services()
    ctx = CallContext(PRINCIPAL, run_id, requested_by=requested_by)
    return AgentDeps(gateway=services.runtime.gateway, ctx=ctx, chat=services.chat, llm=services.llm)


def _outcome(report: Any) -> dict[str, Any]:
    from agents.promotion.render import headline

    return {"run_id": report.run_id, "headline": headline(report), "report_id": report.report_id}


@DBOS.step(name="referent.promotion.run")
def _run(request: dict[str, Any]) -> dict[str, Any]:
    from agents.promotion import run_promotion
    from agents.promotion.checkpoint import checkpointer

    services = dbos_app.services()
    deps = _deps(request["run_id"], request["requested_by"])
    with checkpointer(services.runtime.settings) as saver:
        report = run_promotion(
            deps,
            request["model"],
            request["version"],
            request["environment"],
            checkpointer=saver,
            reports=services.reports,
        )
    return _outcome(report)


@DBOS.workflow(name="referent.promotion")
def promotion_workflow(request: dict[str, Any]) -> dict[str, Any]:
    """One promotion run (gates, then the alias move or a pause on approval)."""
    return _run(request)


@DBOS.step(name="referent.promotion.resume")
def _resume(run_id: str, requested_by: str | None) -> dict[str, Any]:
    from agents.promotion import resume_run
    from agents.promotion.checkpoint import checkpointer

    services = dbos_app.services()
    with checkpointer(services.runtime.settings) as saver:
        report = resume_run(_deps(run_id, requested_by), checkpointer=saver, reports=services.reports)
    return _outcome(report)


@DBOS.workflow(name="referent.promotion.resume")
def resume_workflow(run_id: str, requested_by: str | None) -> dict[str, Any]:
    """Continue a paused promotion run after its approval was decided."""
    return _resume(run_id, requested_by)


def enqueue_promotion(request: dict[str, Any]) -> str:
    """Enqueue a promotion run (``run_id`` is its workflow id); returns the workflow id."""
    with SetWorkflowID(request["run_id"]):
        handle = DBOS.enqueue_workflow(dbos_app.TRIAGE_QUEUE, promotion_workflow, request)
    return handle.get_workflow_id()


def waiting_run(approval: Any) -> bool:
    """Whether a paused promotion run waits for exactly this approval."""
    from agents.promotion.checkpoint import checkpointer
    from agents.promotion.run import saved_state

    with checkpointer(dbos_app.services().runtime.settings) as saver:
        state = saved_state(saver, approval.run_id)
    return state is not None and state.get("approval_id") == approval.id


def enqueue_resume(approval: Any) -> str | None:
    """Resume the run waiting for ``approval`` on a worker (None when no run waits for it)."""
    if not waiting_run(approval):
        return None
    with SetWorkflowID(f"resume-{approval.id}"):
        handle = DBOS.enqueue_workflow(
            dbos_app.TRIAGE_QUEUE, resume_workflow, approval.run_id, approval.requested_by or None
        )
    return handle.get_workflow_id()
