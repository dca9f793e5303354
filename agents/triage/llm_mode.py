"""LLM mode of the triage ``reason`` step: the model reads the gathered evidence, may gather more with
gateway tools, and submits hypotheses that must cite evidence ids the run actually holds.

The prompt is built from the (already redacted) evidence and the alert; :meth:`Gateway.llm` redacts it
again before it leaves. The model is offered the platform tools except those whose use would open an
approval request (triage never performs writes): reads are allowed by the policy, other writes are
refused by it and audited, so an injected instruction can make the model *ask*, never *act*.
Hypotheses citing unknown ids lose those citations; one left with none is dropped (both counted).
If the model gives no valid answer (budget, rounds), the deterministic ranking is used instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from agents.deps import AgentDeps
from agents.evidence import Evidence, EvidenceLedger
from agents.llm import run_tool_loop
from agents.triage.findings import Finding
from agents.triage.graph import TriageState, findings_of, merged_ledger
from agents.triage.models import HYPOTHESIS_KINDS, Culprit, EvidenceRef, Hypothesis, HypothesisKind
from agents.triage.scoring import score
from guardrails.policy import Decision
from tools.base import ActionClass, ToolSpec

SOURCES = ("prometheus.", "mlflow.", "feast.", "billing.", "runbooks.")
MAX_EVIDENCE_LINES = 60

SYSTEM = (
    "You are the triage agent of an ML platform (payments fraud, chargeback, payout and account-takeover "
    "models). Find the root cause of the alert. Possible causes: " + ", ".join(HYPOTHESIS_KINDS) + ". "
    "Use the gathered evidence; call tools only to gather more. Submit hypotheses ranked by confidence "
    "(0-1), each with the culprit (model, version, workload, feature_view, feature) and the evidence ids "
    "that support it. If nothing supports a cause, submit no hypotheses."
)


class LLMHypothesis(BaseModel):
    kind: HypothesisKind
    title: str
    culprit: Culprit = Field(default_factory=Culprit)
    confidence: float = Field(ge=0, le=1)
    evidence_ids: list[str] = Field(default_factory=list, description="ids such as E3 from the evidence")
    explanation: str = ""


class TriageAnswer(BaseModel):
    """The model's submission."""

    hypotheses: list[LLMHypothesis] = Field(default_factory=list)
    next_checks: list[str] = Field(default_factory=list)


def offered_tools(deps: AgentDeps) -> list[ToolSpec]:
    """Platform tools the model may ask for: all but destructive ones and those needing approval."""
    out = []
    for spec in deps.gateway.specs():
        if not spec.name.startswith(SOURCES) or spec.action is ActionClass.DESTRUCTIVE:
            continue
        decision = deps.gateway.policy.decide(
            deps.ctx.principal, spec.name, spec.action.value, deps.ctx.environment, {}
        )
        if decision.decision is not Decision.NEEDS_APPROVAL:
            out.append(spec)
    return out


def _evidence_lines(ledger: EvidenceLedger) -> list[str]:
    lines = []
    for e in ledger.items[:MAX_EVIDENCE_LINES]:
        value = json.dumps(e.value, default=str)[:300]
        lines.append(f"{e.id} [{e.source}] {e.summary} | query: {e.query[:200]} | value: {value}")
    return lines


def user_prompt(state: TriageState, ledger: EvidenceLedger, findings: list[Finding]) -> str:
    alert = state["alert"]
    parts = [
        f"ALERT {alert.alertname} severity={alert.severity} status={alert.status} starts_at={alert.starts_at}",
        f"labels: {json.dumps(alert.labels, sort_keys=True)}",
        f"annotations (untrusted text): {json.dumps(alert.annotations, sort_keys=True)}",
        f"targets: {json.dumps(state['targets'].names(), default=str)}",
        f"missing sources: {', '.join(ledger.missing_sources()) or 'none'}",
        "EVIDENCE (untrusted data):",
        *_evidence_lines(ledger),
        "SIGNALS already detected:",
        *[f"- {f.signal}: {f.detail} (evidence {', '.join(f.evidence)})" for f in findings],
    ]
    return "\n".join(parts)


def _record_tool_results(ledger: EvidenceLedger, results: list[Any], deps: AgentDeps) -> None:
    for r in results:
        ledger.add(
            Evidence(
                id=r.evidence_id,
                source=r.tool.split(".", 1)[0],
                tool=r.tool,
                query=r.tool,
                summary=f"model-requested {r.tool}",
                value=None,
                at=deps.clock(),
                data=r.data,
            )
        )


def _to_hypothesis(h: LLMHypothesis) -> Hypothesis:
    return Hypothesis(
        kind=h.kind,
        title=h.title,
        culprit=h.culprit,
        confidence=h.confidence,
        evidence=[EvidenceRef(id=i, source="", query="") for i in h.evidence_ids],
        explanation=h.explanation,
    )


def make_llm_reason(deps: AgentDeps) -> Callable[[TriageState], dict[str, Any]]:
    """The ``reason`` node for LLM mode."""

    def reason(state: TriageState) -> dict[str, Any]:
        ledger, findings = merged_ledger(state), findings_of(state)
        chat = deps.guarded_chat()
        assert chat is not None, "LLM mode needs deps.chat"
        answer, stats = run_tool_loop(
            chat,
            system=SYSTEM,
            user=user_prompt(state, ledger, findings),
            specs=offered_tools(deps),
            output=TriageAnswer,
            max_rounds=deps.llm.max_tool_rounds,
        )
        _record_tool_results(ledger, stats.results, deps)
        llm = {
            "rounds": stats.rounds,
            "tool_calls": stats.tool_calls,
            "rejected_calls": stats.rejected_calls,
            "partial": stats.partial,
            "stop_reason": stats.stop_reason,
        }
        if answer is None:
            hypotheses = score(findings, state["alert"], state["targets"], state.get("expression", ""))
            llm["fallback"] = "deterministic"
            return {"result": {"hypotheses": hypotheses, "ledger": ledger, "llm": llm, "checks": []}}
        return {
            "result": {
                "hypotheses": [_to_hypothesis(h) for h in answer.hypotheses],
                "ledger": ledger,
                "llm": llm,
                "checks": answer.next_checks,
            }
        }

    return reason
