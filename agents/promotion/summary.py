"""The report's prose: a deterministic summary, or (LLM mode) a model-written one whose claims cite evidence.

The decision never comes from the model: gates decide. In LLM mode the model only explains the gate
results; each claim must cite evidence ids the run gathered, claims citing anything else are dropped
and counted (``PromotionReport.dropped_claims``).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field

from agents.deps import AgentDeps
from agents.llm import Answer
from agents.promotion.models import GateStatus, PromotionReport


class Claim(BaseModel):
    text: str
    evidence_ids: list[str] = Field(description="evidence ids (E1, E2, ...) that support the claim")


class PromotionSummary(Answer):
    claims_field: ClassVar[str | None] = "claims"

    summary: str = Field(description="two or three sentences for the approver")
    claims: list[Claim] = Field(default_factory=list)


SYSTEM = (
    "You explain a model promotion check to the human who must approve it. The gates already decided; "
    "do not change the decision. Submit a PromotionSummary: a short summary and claims, each citing the "
    "evidence ids it rests on."
)


def deterministic_summary(report: PromotionReport) -> str:
    """A plain summary built from the gate results (or, for a rollback, from what it restores)."""
    if report.kind == "rollback":
        moved = "restored" if report.alias_moved else "would restore"
        return f"Rollback {moved} {report.alias} of {report.model} to v{report.version}" + (
            f", replacing v{report.previous_champion}." if report.previous_champion else "."
        )
    counts = {s: sum(g.status is s for g in report.gates) for s in GateStatus}
    parts = [
        f"{counts[GateStatus.PASS]} passed, {counts[GateStatus.FAIL]} failed, {counts[GateStatus.SKIP]} skipped."
    ]
    if report.failed_gates:
        parts.append("Blocking: " + "; ".join(f"{g.gate} ({g.why})" for g in report.failed_gates) + ".")
    return " ".join(parts)


def llm_summary(deps: AgentDeps, report: PromotionReport, evidence_index: dict[str, str]) -> None:
    """Let the model write the cited summary (shared loop, no tools offered); on failure keep the
    deterministic one and say why in ``report.mode``."""
    user = "\n".join(
        [
            f"Model {report.model} v{report.version} to {report.target}: decision {report.decision}.",
            "GATES:",
            *(
                f"- {g.gate}: {g.status.value} ({g.why[:160]}; evidence {', '.join(g.evidence)})"
                for g in report.gates
            ),
            "EVIDENCE:",
            *(f"{eid} {text[:160]}" for eid, text in list(evidence_index.items())[:30]),
        ]
    )
    outcome = deps.ask_model(system=SYSTEM, user=user, output=PromotionSummary, known=set(evidence_index))
    report.mode, report.dropped_claims = outcome.mode, outcome.stats.dropped_claims
    if outcome.answer is not None:
        answer = outcome.answer
        lines = [answer.summary, *(f"- {c.text} [{', '.join(c.evidence_ids)}]" for c in answer.claims)]
        report.summary = "\n".join(lines)
