"""The runbook agent: rule(s) → derived diagnosis → validated by Prometheus's parser → sections → library.

Nodes: ``analyze`` (parse each rule) → ``discover`` (which ML metrics the target Prometheus has, only
when a rule is an ML component) → ``derive`` (candidate diagnosis queries) → ``validate`` (all
candidates in one ``promtool.check_queries`` call, plus the server's ``prometheus.validate`` for a
single rule when a Prometheus is configured; rejected queries are dropped and counted) → ``write``
(sections; an LLM may rewrite the prose, never the queries) → ``store`` (``runbooks.save``).
"""

from __future__ import annotations

import logging
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph
from pydantic import BaseModel, Field

from agents.deps import AgentDeps
from agents.llm import Answer
from agents.runbook import derive, sections
from agents.runbook.models import AlertRule, DiagnosisQuery, Runbook
from agents.runbook.promql import ExprShape, analyze
from agents.runbook.render import to_markdown
from guardrails.errors import GatewayError

log = logging.getLogger("referent.agents.runbook")


class RunbookState(TypedDict, total=False):
    rules: list[AlertRule]
    shapes: dict[str, ExprShape]
    available: list[str]
    candidates: dict[str, list[DiagnosisQuery]]
    rejected: int
    runbooks: list[Runbook]
    errors: list[str]
    store: bool
    server_check: bool


class RunbookBatch(BaseModel):
    runbooks: list[Runbook]
    rejected_queries: int = 0
    errors: list[str] = Field(default_factory=list)
    stored: list[str] = Field(default_factory=list)


class Prose(Answer):
    """What a model may rewrite: the prose, never the queries."""

    meaning: str
    impact: list[str]
    mitigation: list[str]


def _analyze(state: RunbookState) -> RunbookState:
    shapes, errors, kept = {}, list(state.get("errors", [])), []
    for rule in state["rules"]:
        try:
            shapes[rule.alert] = analyze(rule.expr)
            kept.append(rule)
        except ValueError as exc:
            errors.append(f"{rule.alert}: {exc}")
    return {"shapes": shapes, "rules": kept, "errors": errors}


def _discover(deps: AgentDeps, state: RunbookState) -> RunbookState:
    if not any(derive.is_ml_component(r, state["shapes"][r.alert]) for r in state["rules"]):
        return {"available": []}
    try:
        result = deps.call("prometheus.labels", label="__name__", limit=2000)
    except GatewayError as exc:
        log.info("metric discovery unavailable: %s", exc.message)
        return {"available": []}
    data = result.data
    values = data.get("items", []) if isinstance(data, dict) else data
    return {"available": [str(v) for v in values or []]}


def _derive(state: RunbookState) -> RunbookState:
    available = set(state.get("available", []))
    out: dict[str, list[DiagnosisQuery]] = {}
    for rule in state["rules"]:
        shape = state["shapes"][rule.alert]
        queries = derive.rule_queries(rule, shape)
        if derive.is_ml_component(rule, shape):
            queries += derive.ml_queries(rule, available)
        out[rule.alert] = queries
    return {"candidates": out}


def _validate(deps: AgentDeps, state: RunbookState) -> RunbookState:
    unique = sorted({q.promql for qs in state["candidates"].values() for q in qs})
    result = deps.call("promtool.check_queries", queries=unique)
    # by position: the result is redacted, so the query text in it may differ from what was sent
    verdict = dict(zip(unique, result.data, strict=True))
    server = state.get("server_check", False) and len(state["rules"]) == 1
    kept: dict[str, list[DiagnosisQuery]] = {}
    rejected = 0
    for alert, queries in state["candidates"].items():
        kept[alert] = []
        for q in queries:
            check = verdict.get(q.promql, {"valid": False, "error": "not checked"})
            q.valid, q.error, q.evidence_id = (
                bool(check["valid"]),
                str(check.get("error", "")),
                result.evidence_id,
            )
            if q.valid and server:
                q.valid = _server_accepts(deps, q)
            if q.valid:
                kept[alert].append(q)
            else:
                rejected += 1
    return {"candidates": kept, "rejected": state.get("rejected", 0) + rejected}


def _server_accepts(deps: AgentDeps, query: DiagnosisQuery) -> bool:
    try:
        data = deps.call("prometheus.validate", promql=query.promql).data
    except GatewayError:
        return True  # no server to ask: promtool (the same parser) already accepted it
    return bool(data.get("valid", True)) if isinstance(data, dict) else True


def _write(deps: AgentDeps, state: RunbookState) -> RunbookState:
    runbooks = []
    for rule in state["rules"]:
        shape = state["shapes"][rule.alert]
        ml = derive.is_ml_component(rule, shape)
        component = "ml-model" if ml else sections.component_of(rule, shape)
        runbooks.append(
            Runbook(
                alert=rule.alert,
                severity=rule.severity,
                owner=rule.labels.get("team") or rule.labels.get("owner"),
                component=component,
                category=sections.category_of(component),
                ml_component=ml,
                source=rule.source,
                meaning=sections.meaning(rule, shape),
                impact=sections.impact(rule, component),
                diagnosis=state["candidates"][rule.alert],
                diagnosis_steps=derive.ml_steps(rule) if ml else [],
                mitigation=sections.mitigation(rule, shape, component),
                front_matter={
                    "source_rule": rule.source,
                    "group": rule.group,
                    "expr": rule.expr,
                    "generated_by": "referent runbook",
                    "validated_with": "promtool check rules",
                },
                mode=deps.mode,
            )
        )
    if deps.chat is not None and len(runbooks) == 1:
        runbooks = [_polish(deps, runbooks[0])]
    return {"runbooks": runbooks}


def _polish(deps: AgentDeps, rb: Runbook) -> Runbook:
    prose = deps.ask_model(
        system="You write SRE runbooks. Improve the prose of Meaning, Impact and Mitigation; keep facts.",
        user=f"Alert {rb.alert} ({rb.severity}).\nMeaning: {rb.meaning}\nImpact: {rb.impact}\nMitigation: {rb.mitigation}",
        output=Prose,
        max_rounds=1,
    ).answer
    if prose is None:
        return rb
    return rb.model_copy(
        update={
            "meaning": prose.meaning,
            "impact": prose.impact or rb.impact,
            "mitigation": prose.mitigation or rb.mitigation,
            "mode": "llm",
        }
    )


def _store(deps: AgentDeps, state: RunbookState) -> RunbookState:
    if not state.get("store", True):
        return {}
    errors = list(state.get("errors", []))
    for rb in state["runbooks"]:
        try:
            doc = deps.call("runbooks.save", alert=rb.alert, markdown=to_markdown(rb)).data
            rb.url = doc.get("url")
        except GatewayError as exc:
            errors.append(f"{rb.alert}: not stored: {exc.message}")
    return {"errors": errors, "runbooks": state["runbooks"]}


def build_graph(deps: AgentDeps) -> Any:
    graph = StateGraph(RunbookState)
    graph.add_node("analyze", _analyze)
    graph.add_node("discover", lambda s: _discover(deps, s))
    graph.add_node("derive", _derive)
    graph.add_node("validate", lambda s: _validate(deps, s))
    graph.add_node("write", lambda s: _write(deps, s))
    graph.add_node("store", lambda s: _store(deps, s))
    graph.add_edge(START, "analyze")
    for a, b in (
        ("analyze", "discover"),
        ("discover", "derive"),
        ("derive", "validate"),
        ("validate", "write"),
        ("write", "store"),
    ):
        graph.add_edge(a, b)
    graph.add_edge("store", END)
    return graph.compile()


def run_runbooks(
    deps: AgentDeps, rules: list[AlertRule], *, store: bool = True, server_check: bool = True
) -> RunbookBatch:
    """Generate (and store) runbooks for ``rules``."""
    final = build_graph(deps).invoke(
        {"rules": rules, "store": store, "server_check": server_check, "errors": []}
    )
    return RunbookBatch(
        runbooks=final.get("runbooks", []),
        rejected_queries=final.get("rejected", 0),
        errors=final.get("errors", []),
        stored=[rb.url or "" for rb in final.get("runbooks", [])],
    )
