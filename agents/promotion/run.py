"""Run, resume and roll back promotions: the agent's public entry points.

A run's id is its LangGraph thread id and its gateway run id (approvals are bound to it), so a run
that waits for approval is resumed by rebuilding ``AgentDeps`` with the same run id and principal,
over the same checkpointer, in any process.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from agents.deps import AgentDeps
from agents.promotion.graph import alias_for, build_graph
from agents.promotion.models import GateResult, PromotionFacts, PromotionReport, Target
from agents.promotion.render import to_markdown
from agents.promotion.settings import PromotionSettings
from agents.promotion.summary import deterministic_summary, llm_summary
from agents.reports import ReportStore

REPORT_KIND = "promotion"


class PromotionError(Exception):
    """A promotion run cannot be started or resumed as asked."""


class ApprovalPending(PromotionError):
    """The run's approval has not been decided yet."""

    def __init__(self, run_id: str, approval_id: str) -> None:
        super().__init__(f"run {run_id} still waits for approval {approval_id}; approve or deny it first")
        self.run_id, self.approval_id = run_id, approval_id


def _config(run_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": run_id}}


def saved_state(checkpointer: BaseCheckpointSaver, run_id: str) -> dict[str, Any] | None:
    """The last checkpointed state of run ``run_id`` (None if the checkpointer has no such run)."""
    saved = checkpointer.get_tuple(_config(run_id))  # type: ignore[arg-type]
    return None if saved is None else dict(saved.checkpoint.get("channel_values", {}))


def run_promotion(
    deps: AgentDeps,
    model: str,
    version: str | int,
    target: Target,
    *,
    dry_run: bool = False,
    checkpointer: BaseCheckpointSaver | None = None,
    settings: PromotionSettings | None = None,
    reports: ReportStore | None = None,
) -> PromotionReport:
    """Check (and, unless ``dry_run`` or blocked, perform) the promotion of ``model`` ``version``.

    Returns the report; when production needs approval it has ``approval_status="pending"`` and the
    run waits in ``checkpointer`` until :func:`resume_run`.
    """
    if target not in ("staging", "production"):
        raise PromotionError(f"unknown target {target!r} (staging or production)")
    inputs = {
        "kind": "promote",
        "model": model,
        "version": str(version),
        "target": target,
        "alias": alias_for(target),
        "dry_run": dry_run,
    }
    return _drive(deps, inputs, checkpointer or InMemorySaver(), settings, reports)


def run_rollback(
    deps: AgentDeps,
    model: str,
    *,
    alias: str = "champion",
    dry_run: bool = False,
    checkpointer: BaseCheckpointSaver | None = None,
    settings: PromotionSettings | None = None,
    reports: ReportStore | None = None,
) -> PromotionReport:
    """Point ``alias`` back at its previous holder (production aliases wait for approval too)."""
    # the policy's one alias map; an alias it does not know is production (waits for approval)
    target = "production" if deps.gateway.policy.environment_of_alias(alias) == "production" else "staging"
    inputs = {
        "kind": "rollback",
        "model": model,
        "version": "",
        "target": target,
        "alias": alias,
        "dry_run": dry_run,
    }
    return _drive(deps, inputs, checkpointer or InMemorySaver(), settings, reports)


def resume_run(
    deps: AgentDeps,
    *,
    checkpointer: BaseCheckpointSaver,
    settings: PromotionSettings | None = None,
    reports: ReportStore | None = None,
) -> PromotionReport:
    """Resume the waiting run ``deps.ctx.run_id`` once its approval was decided (approved or denied)."""
    run_id = deps.ctx.run_id
    state = saved_state(checkpointer, run_id)
    if state is None:
        raise PromotionError(f"no promotion run {run_id} in the checkpoint store")
    graph = build_graph(deps, checkpointer=checkpointer, settings=settings, reports=reports)
    if not graph.get_state(_config(run_id)).next:
        raise PromotionError(f"run {run_id} is not waiting for anything (already finished)")
    approval_id = str(state.get("approval_id"))
    approval = deps.gateway.approvals.get(approval_id)
    if approval.status.value == "pending":
        raise ApprovalPending(run_id, approval_id)
    return _drive(
        deps,
        Command(resume={"approval_id": approval_id, "status": approval.status.value}),
        checkpointer,
        settings,
        reports,
        graph=graph,
    )


def _drive(
    deps: AgentDeps,
    inputs: Any,
    checkpointer: BaseCheckpointSaver,
    settings: PromotionSettings | None,
    reports: ReportStore | None,
    graph: Any = None,
) -> PromotionReport:
    graph = graph or build_graph(deps, checkpointer=checkpointer, settings=settings, reports=reports)
    config = _config(deps.ctx.run_id)
    graph.invoke(inputs, config)
    snapshot = graph.get_state(config)
    report = build_report(dict(snapshot.values), deps)
    if deps.chat is not None:
        llm_summary(deps, report, dict(snapshot.values.get("evidence_index") or {}))
    if reports is not None:
        report.report_id = reports.save(
            kind=REPORT_KIND,
            run_id=report.run_id,
            subject=f"{report.model} v{report.version} -> {report.alias}",
            body_json=report.model_dump_json(),
            markdown=to_markdown(report),
        )
    return report


def build_report(values: dict[str, Any], deps: AgentDeps) -> PromotionReport:
    """The report of a run's current state (final, or waiting for approval)."""
    facts = PromotionFacts.model_validate(values["facts"]) if values.get("facts") else None
    report = PromotionReport(
        kind=values.get("kind", "promote"),
        run_id=deps.ctx.run_id,
        model=values["model"],
        version=values.get("version") or "?",
        target=values["target"],
        alias=values["alias"],
        dry_run=bool(values.get("dry_run")),
        gates=[GateResult.model_validate(g) for g in values.get("gates", [])],
        decision="promote" if values.get("decision") == "promote" else "block",
        reasons=[*values.get("reasons", []), *values.get("notes", [])],
        approval_id=values.get("approval_id"),
        approval_status=values.get("approval_status", "not_needed"),
        approved_by=values.get("approved_by"),
        alias_moved=bool(values.get("alias_moved")),
        previous_champion=values.get("previous"),
        baseline_version=facts.baseline.version if facts and facts.baseline else None,
        missing_sources=list(values.get("missing_sources", [])),
        generated_at=datetime.now(UTC),
    )
    report.summary = deterministic_summary(report)
    return report
