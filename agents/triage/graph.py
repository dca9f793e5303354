"""The triage graph (LangGraph): resolve → fan out one ``collect`` task per collector (``Send``) → reason.

``resolve`` reads the alert's labels, completes them from the platform and fixes the time window (the
alert's ``startsAt``, else the first time its rule expression was true, else one hour ago). Each
``collect`` task runs one collector with its own evidence ledger; LangGraph runs the tasks of one step
in parallel. ``reason`` merges the ledgers and ranks hypotheses — with the deterministic evidence
model, or with the LLM (:mod:`agents.triage.llm_mode`) when ``deps.chat`` is set.

Deadline: ``deps.ctx.deadline`` bounds the run. The gateway refuses calls past it and caps each call at
the time left, so every node returns by then with what it gathered; a node still working when the
deadline passed is listed in ``unfinished`` (the report names those collectors).
"""

from __future__ import annotations

import operator
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send

from agents.deps import AgentDeps
from agents.evidence import EvidenceLedger
from agents.triage.alert import NormalizedAlert
from agents.triage.collectors.base import CollectorContext, Window
from agents.triage.collectors.context import collect_alert_expression, collect_cost, collect_runbook
from agents.triage.collectors.dependencies import collect_dependencies
from agents.triage.collectors.drift import collect_drift
from agents.triage.collectors.features import collect_feast, collect_freshness_metric
from agents.triage.collectors.golden import collect_golden
from agents.triage.collectors.jobs import collect_jobs
from agents.triage.collectors.kube_rollout import collect_kube_rollout
from agents.triage.collectors.mlflow_changes import collect_mlflow
from agents.triage.collectors.saturation import collect_gpu, collect_saturation
from agents.triage.collectors.traffic import collect_traffic
from agents.triage.findings import CollectorOutput, Finding, Targets
from agents.triage.resolve import choose_collectors, from_labels, resolve

LOOKBACK = timedelta(hours=6)
MAX_WINDOW = timedelta(hours=24)
STEP_S = 300

COLLECTORS: dict[str, Callable[[CollectorContext], list[Finding]]] = {
    "golden_signals": collect_golden,
    "traffic": collect_traffic,
    "dependencies": collect_dependencies,
    "saturation": collect_saturation,
    "gpu": collect_gpu,
    "jobs": collect_jobs,
    "kube_rollout": collect_kube_rollout,
    "cost": collect_cost,
    "mlflow": collect_mlflow,
    "drift": collect_drift,
    "feast": collect_feast,
    "freshness_metric": collect_freshness_metric,
}


class TriageState(TypedDict, total=False):
    alert: NormalizedAlert
    window: Window
    targets: Targets
    expression: str
    collectors: list[str]
    collector: str
    outputs: Annotated[list[CollectorOutput], operator.add]
    ledgers: Annotated[list[EvidenceLedger], operator.add]
    unfinished: Annotated[list[str], operator.add]
    result: dict[str, Any]


def past_deadline(deps: AgentDeps) -> bool:
    """True once the run's deadline (``deps.ctx.deadline``, a monotonic instant) has passed."""
    deadline = deps.ctx.deadline
    return deadline is not None and time.monotonic() >= deadline


def make_window(end: datetime, incident_start: datetime | None) -> Window:
    """The collectors' window: 6 h before the incident start up to now, at most 24 h."""
    anchor = incident_start or end - timedelta(hours=1)
    start = max(anchor - LOOKBACK, end - MAX_WINDOW)
    return Window(start=start, end=end, step_s=STEP_S, incident_start=incident_start)


def build_graph(deps: AgentDeps, reason: Callable[[TriageState], dict[str, Any]]) -> Any:
    """Compile the triage graph over ``deps``; ``reason`` is the last node (deterministic or LLM)."""

    def resolve_node(state: TriageState) -> dict[str, Any]:
        alert = state["alert"]
        end = deps.clock()
        cx = CollectorContext(deps, alert, from_labels(alert.labels), make_window(end, alert.starts_at))
        context = collect_alert_expression(cx)
        start = alert.starts_at or context.get("firing_since")
        cx.window = make_window(end, start)
        targets = resolve(cx)
        has_runbooks = bool(deps.gateway.specs("runbooks."))
        output = CollectorOutput(collector="alert_expression", context=context)
        outputs = [output]
        if has_runbooks:
            outputs.append(CollectorOutput(collector="runbook", context=collect_runbook(cx)))
        return {
            "window": cx.window,
            "targets": targets,
            "expression": cx.expression,
            "collectors": choose_collectors(targets, has_runbooks),
            "outputs": outputs,
            "ledgers": [cx.ledger],
            "unfinished": ["resolve"] if past_deadline(deps) else [],
        }

    def fan_out(state: TriageState) -> list[Send]:
        names = [n for n in state["collectors"] if n in COLLECTORS]
        return [Send("collect", {**state, "collector": n}) for n in names] or [Send("reason", state)]

    def collect_node(state: TriageState) -> dict[str, Any]:
        name = state["collector"]
        cx = CollectorContext(
            deps, state["alert"], state["targets"], state["window"], expression=state.get("expression", "")
        )
        findings = COLLECTORS[name](cx)
        return {
            "outputs": [CollectorOutput(collector=name, findings=findings)],
            "ledgers": [cx.ledger],
            "unfinished": [name] if past_deadline(deps) else [],
        }

    graph = StateGraph(TriageState)
    graph.add_node("resolve", resolve_node)
    graph.add_node("collect", collect_node)
    graph.add_node("reason", reason)  # type: ignore[arg-type]
    graph.add_edge(START, "resolve")
    graph.add_conditional_edges("resolve", fan_out, ["collect", "reason"])
    graph.add_edge("collect", "reason")
    graph.add_edge("reason", END)
    return graph.compile()


def merged_ledger(state: TriageState) -> EvidenceLedger:
    ledger = EvidenceLedger()
    for part in state.get("ledgers", []):
        ledger = ledger.merge(part)
    return ledger


def findings_of(state: TriageState) -> list[Finding]:
    return [f for out in state.get("outputs", []) for f in out.findings]


def context_of(state: TriageState) -> dict[str, dict[str, Any]]:
    return {out.collector: out.context for out in state.get("outputs", []) if out.context}
