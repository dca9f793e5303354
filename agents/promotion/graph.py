"""The promotion graph (LangGraph): gather → gates → decide → write the alias (with a human approval).

::

    promote:  gather ─ judge ─┬─ (dry run / block) ──────────────────────────────┐
                              └─ request_write ─┬─ (allowed) ─ record ─ finish ◄─┤
    rollback: plan_rollback ─┘                  └─ (needs approval) ─ wait ─ apply ─ record

``request_write`` calls ``mlflow.set_alias`` through the gateway. Below production the policy allows
it; for production it raises ``ApprovalRequired``, the run stores the approval id and ``wait``
interrupts (``langgraph.types.interrupt``). The checkpointer keeps the state; a new process resumes it
with ``Command(resume=...)`` and ``apply`` retries the same write with the approved id. ``record``
remembers the previous holder of the alias (also kept by the registry's alias history) so a rollback
can restore it.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt

from agents.deps import AgentDeps, collect
from agents.evidence import EvidenceLedger
from agents.promotion.facts import Gatherer, previous_holder
from agents.promotion.gates import run_gates
from agents.promotion.models import TARGET_ALIAS, AliasEvent, GateStatus, PromotionFacts, previous_tag
from agents.promotion.settings import PromotionSettings
from agents.reports import ReportStore
from guardrails.errors import ApprovalInvalid, ApprovalRequired, GatewayError
from guardrails.gateway import ToolResult

MAX_WAITS = 50


class PromotionState(TypedDict, total=False):
    kind: Literal["promote", "rollback"]
    model: str
    version: str
    target: str
    alias: str
    dry_run: bool
    facts: dict[str, Any]
    gates: list[dict[str, Any]]
    decision: str
    reasons: Annotated[list[str], operator.add]
    notes: Annotated[list[str], operator.add]
    approval_id: str | None
    approval_status: str
    approved_by: str | None
    previous: str | None
    alias_moved: bool
    missing_sources: list[str]
    evidence_index: dict[str, str]


class PromotionNodes:
    """The graph's nodes, bound to one run's dependencies."""

    def __init__(self, deps: AgentDeps, settings: PromotionSettings, reports: ReportStore | None) -> None:
        self.deps, self.settings, self.reports = deps, settings, reports

    # --- promote ----------------------------------------------------------------------------
    def gather(self, state: PromotionState) -> dict[str, Any]:
        ledger = EvidenceLedger()
        facts = Gatherer(self.deps, ledger, self.settings, self.reports).gather(
            state["model"],
            state["version"],
            state["target"],  # type: ignore[arg-type]
        )
        return {
            "facts": facts.model_dump(mode="json"),
            "missing_sources": ledger.missing_sources(),
            "evidence_index": facts.evidence_index,
        }

    def judge(self, state: PromotionState) -> dict[str, Any]:
        facts = PromotionFacts.model_validate(state["facts"])
        gates = run_gates(facts, self.settings)
        reasons = [f"{g.gate}: {g.why}" for g in gates if g.status is GateStatus.FAIL]
        if facts.current_target_version == facts.version:
            reasons.append(f"v{facts.version} already holds the {state['alias']} alias")
        decision = "block" if reasons else "promote"
        if not reasons:
            passed = sum(g.status is GateStatus.PASS for g in gates)
            reasons = [f"{passed} gate(s) passed, {len(gates) - passed} skipped with a reason, none failed"]
        return {
            "gates": [g.model_dump(mode="json") for g in gates],
            "decision": decision,
            "reasons": reasons,
            "previous": facts.current_target_version,
        }

    # --- rollback ---------------------------------------------------------------------------
    def plan_rollback(self, state: PromotionState) -> dict[str, Any]:
        model, alias = state["model"], state["alias"]
        ledger = EvidenceLedger()
        got = collect(
            self.deps, ledger, "mlflow.get_model", {"model": model}, summary=f"registered model {model}"
        )
        hist = collect(
            self.deps, ledger, "mlflow.alias_history", {"model": model}, summary=f"alias history of {model}"
        )
        base = {
            "missing_sources": ledger.missing_sources(),
            "evidence_index": {e.id: e.summary for e in ledger.items},
        }
        if got is None or hist is None:
            return {
                **base,
                "decision": "block",
                "reasons": [
                    "cannot read the registry: " + "; ".join(s.error for s in ledger.sources.values())
                ],
            }
        current = (got.data.get("aliases") or {}).get(alias)
        if current is None:
            return {**base, "decision": "block", "reasons": [f"alias {alias} is not set on {model}"]}
        events = [
            AliasEvent(alias=e["alias"], version=str(e["version"]), at=e.get("at"), by=e.get("by", ""))
            for e in hist.data.get("events", [])
            if e.get("version") is not None
        ]
        tag = (got.data.get("tags") or {}).get(previous_tag(alias))
        target = previous_holder(events, alias, str(current)) or (
            tag if tag and tag != str(current) else None
        )
        if target is None:
            return {
                **base,
                "decision": "block",
                "version": str(current),
                "reasons": [f"no earlier holder of {alias} is recorded for {model}; nothing to roll back to"],
            }
        return {
            **base,
            "version": str(target),
            "previous": str(current),
            "decision": "promote",
            "reasons": [f"roll {alias} back from v{current} to v{target} (its previous holder)"],
        }

    # --- the write --------------------------------------------------------------------------
    def _alias_args(self, state: PromotionState) -> dict[str, Any]:
        return {
            "model": state["model"],
            "alias": state["alias"],
            "version": int(state["version"]),
            "by": f"{self.deps.ctx.principal} run {self.deps.ctx.run_id}",
        }

    @staticmethod
    def _moved(result: ToolResult) -> dict[str, Any]:
        prev = (result.data or {}).get("previous_version")
        return {"alias_moved": True, "previous": None if prev is None else str(prev)}

    def request_write(self, state: PromotionState) -> dict[str, Any]:
        try:
            result = self.deps.gateway.call(self.deps.ctx, "mlflow.set_alias", self._alias_args(state))
        except ApprovalRequired as exc:
            return {"approval_id": exc.approval_id, "approval_status": "pending"}
        except GatewayError as exc:
            return {"decision": "block", "reasons": [f"alias write refused: {exc.kind}: {exc.message}"]}
        return self._moved(result)

    def wait(self, state: PromotionState) -> dict[str, Any]:
        approval_id = str(state["approval_id"])
        payload = {
            "approval_id": approval_id,
            "run_id": self.deps.ctx.run_id,
            "model": state["model"],
            "version": state["version"],
            "alias": state["alias"],
        }
        approval = self.deps.gateway.approvals.get(approval_id)
        for _ in range(MAX_WAITS):  # each resume answers one interrupt; re-wait while still pending
            interrupt(payload)
            approval = self.deps.gateway.approvals.get(approval_id)
            if approval.status.value != "pending":
                break
        status = approval.status.value
        if status != "approved":
            by = f" by {approval.decided_by}" if approval.decided_by else ""
            return {
                "approval_status": status,
                "approved_by": approval.decided_by,
                "decision": "block",
                "reasons": [f"approval {approval_id} {status}{by}; the alias was not moved"],
            }
        return {"approval_status": "approved", "approved_by": approval.decided_by}

    def apply(self, state: PromotionState) -> dict[str, Any]:
        try:
            result = self.deps.gateway.call(
                self.deps.ctx, "mlflow.set_alias", self._alias_args(state), approval_id=state["approval_id"]
            )
        except ApprovalInvalid as exc:
            return {
                "approval_status": "invalid",
                "decision": "block",
                "reasons": [f"approval invalid: {exc.message}"],
            }
        except GatewayError as exc:
            return {
                "decision": "block",
                "reasons": [f"approved alias write failed: {exc.kind}: {exc.message}"],
            }
        return self._moved(result)

    def record(self, state: PromotionState) -> dict[str, Any]:
        previous, alias = state.get("previous"), state["alias"]
        if not previous or previous == state["version"]:
            return {"notes": [f"{alias} had no previous holder to record"]}
        # mlflow.set_alias records the move (with the previous version) in the alias history in the same
        # approved call; rollback reads it from there.
        return {"notes": [f"previous {alias} v{previous} recorded in the registry's alias history"]}


def _after_judge(state: PromotionState) -> str:
    return "finish" if state.get("dry_run") or state.get("decision") != "promote" else "request_write"


def _after_write(state: PromotionState) -> str:
    if state.get("approval_status") == "pending" and not state.get("alias_moved"):
        return "wait"
    return "record" if state.get("alias_moved") else "finish"


def _after_wait(state: PromotionState) -> str:
    return "apply" if state.get("approval_status") == "approved" else "finish"


def _start(state: PromotionState) -> str:
    return "plan_rollback" if state.get("kind") == "rollback" else "gather"


def build_graph(
    deps: AgentDeps,
    *,
    checkpointer: BaseCheckpointSaver,
    settings: PromotionSettings | None = None,
    reports: ReportStore | None = None,
) -> Any:
    """Compile the promotion graph for one run's ``deps`` (rebuild it with the same deps to resume)."""
    nodes = PromotionNodes(deps, settings or PromotionSettings(), reports)
    g = StateGraph(PromotionState)
    for name in ("gather", "judge", "plan_rollback", "request_write", "wait", "apply", "record"):
        g.add_node(name, getattr(nodes, name))
    g.add_node("finish", lambda _s: {})
    g.add_conditional_edges(START, _start, ["gather", "plan_rollback"])
    g.add_edge("gather", "judge")
    g.add_conditional_edges("judge", _after_judge, ["finish", "request_write"])
    g.add_conditional_edges("plan_rollback", _after_judge, ["finish", "request_write"])
    g.add_conditional_edges("request_write", _after_write, ["wait", "record", "finish"])
    g.add_conditional_edges("wait", _after_wait, ["apply", "finish"])
    g.add_conditional_edges("apply", _after_write, ["record", "finish"])
    g.add_edge("record", "finish")
    g.add_edge("finish", END)
    return g.compile(checkpointer=checkpointer)


def alias_for(target: str) -> str:
    """The alias a target environment means: staging → ``staging``, production → ``champion``."""
    return TARGET_ALIAS[target]
