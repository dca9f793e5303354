"""LLM mode of the triage ``reason`` step: the model reads a compact summary of the gathered evidence,
may gather more with gateway tools, and submits hypotheses that must cite evidence ids the run holds.

It runs the shared loop of :mod:`agents.llm` (through :meth:`AgentDeps.ask_model`): the model is offered
a few platform reads (:data:`SOURCES`, as far as the policy allows ``agent:triage``); anything else it asks
for is refused and audited as denied.
The prompt holds one line per signal and per evidence item, never raw tool output (the first call stays
far below 4k tokens on the demo world). Hypotheses citing ids the run does not hold are dropped and
counted. When the model times out, errors, or answers garbage, the deterministic ranking is the answer
and the report's ``mode`` says ``deterministic (model failed: why)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, Field, StringConstraints

from agents.deps import AgentDeps
from agents.evidence import EvidenceLedger, compact, evidence_lines
from agents.llm import Answer
from agents.triage.findings import Finding
from agents.triage.graph import TriageState, findings_of, merged_ledger
from agents.triage.models import HYPOTHESIS_KINDS, Culprit, EvidenceRef, Hypothesis, HypothesisKind
from agents.triage.scoring import score

# what the model may ask for beyond the collectors' evidence (each schema costs prompt tokens)
SOURCES = (
    "prometheus.query",
    "mlflow.get_version",
    "mlflow.alias_history",
    "mlflow.version_metrics",
    "feast.freshness",
    "feast.parity",
)
MAX_EVIDENCE_LINES = 20
MAX_SIGNAL_LINES = 12

SYSTEM = (
    "You are the triage agent of an ML platform (payments fraud, chargeback, payout and account-takeover "
    "models). Find the root cause of the alert. Possible causes: " + ", ".join(HYPOTHESIS_KINDS) + ". "
    "Use the evidence below; call a tool only if it is missing something. Submit hypotheses ranked by "
    "confidence (0-1), each with its culprit (model, version, workload, feature_view, feature) and the "
    "evidence ids that support it. If nothing supports a cause, submit no hypotheses. At most 3 "
    "hypotheses; titles and explanations under 20 words. evidence_ids are ids such as E3 from the EVIDENCE "
    "lines, never source names."
)


Check = Annotated[str, StringConstraints(max_length=200)]


class LLMHypothesis(BaseModel):
    """Bounded lengths: a grammar-constrained local model then cannot ramble past its token limit."""

    kind: HypothesisKind
    title: str = Field(max_length=120)
    culprit: Culprit = Field(default_factory=Culprit)
    confidence: float = Field(ge=0, le=1)
    evidence_ids: list[str] = Field(
        default_factory=list, max_length=8, description="ids such as E3 from the evidence"
    )
    explanation: str = Field(default="", max_length=400)


class TriageAnswer(Answer):
    """The model's submission."""

    claims_field: ClassVar[str | None] = "hypotheses"

    hypotheses: list[LLMHypothesis] = Field(default_factory=list, max_length=3)
    next_checks: list[Check] = Field(default_factory=list, max_length=3)


def _ordered_evidence(ledger: EvidenceLedger, findings: list[Finding]) -> list[Any]:
    """Evidence the signals cite first, then the rest, in ledger order."""
    cited = {i for f in findings for i in f.evidence}
    return [e for e in ledger.items if e.id in cited] + [e for e in ledger.items if e.id not in cited]


def user_prompt(state: TriageState, ledger: EvidenceLedger, findings: list[Finding]) -> str:
    """The compact first prompt: the alert, the targets, one line per signal and per evidence item."""
    alert = state["alert"]
    signals = [
        f"- {f.signal}: {f.detail[:120]} (evidence {', '.join(f.evidence[:4])})"
        for f in findings[:MAX_SIGNAL_LINES]
    ]
    parts = [
        f"ALERT {alert.alertname} severity={alert.severity} status={alert.status} starts_at={alert.starts_at}",
        f"labels: {compact(dict(sorted(alert.labels.items())), 400)}",
        f"annotations (untrusted text): {compact(dict(sorted(alert.annotations.items())), 300)}",
        f"targets: {compact(state['targets'].names(), 300)}",
        f"missing sources: {', '.join(ledger.missing_sources()) or 'none'}",
        "SIGNALS already detected:",
        *(signals or ["- none"]),
        "EVIDENCE (untrusted data):",
        *evidence_lines(_ordered_evidence(ledger, findings), limit=MAX_EVIDENCE_LINES),
    ]
    return "\n".join(parts)


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
    """The ``reason`` node for LLM mode (deterministic ranking when the model fails)."""

    def reason(state: TriageState) -> dict[str, Any]:
        ledger, findings = merged_ledger(state), findings_of(state)
        outcome = deps.ask_model(
            system=SYSTEM,
            user=user_prompt(state, ledger, findings),
            output=TriageAnswer,
            sources=SOURCES,
            known=ledger.ids(),
        )
        for item in outcome.evidence:
            ledger.add(item)
        llm = outcome.stats.as_dict()
        result: dict[str, Any] = {"ledger": ledger, "llm": llm, "mode": outcome.mode}
        if outcome.answer is None:
            llm["fallback"] = "deterministic"
            hypotheses = score(findings, state["alert"], state["targets"], state.get("expression", ""))
            return {"result": {**result, "hypotheses": hypotheses, "checks": []}}
        answer = outcome.answer
        hypotheses = [_to_hypothesis(h) for h in answer.hypotheses]
        return {"result": {**result, "hypotheses": hypotheses, "checks": answer.next_checks}}

    return reason
