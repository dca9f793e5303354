"""The report's prose: a deterministic summary, or (LLM mode) a model-written one whose claims cite evidence.

The decision never comes from the model: gates decide. In LLM mode the model only explains the gate
results; each claim must cite evidence ids the run gathered, claims citing anything else are dropped
and counted (``PromotionReport.dropped_claims``).
"""

from __future__ import annotations

import json

from pydantic import BaseModel, Field

from agents.deps import AgentDeps
from agents.llm import run_tool_loop
from agents.promotion.models import GateStatus, PromotionReport


class Claim(BaseModel):
    text: str
    evidence: list[str] = Field(description="evidence ids (E1, E2, ...) that support the claim")


class PromotionSummary(BaseModel):
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


def llm_summary(
    deps: AgentDeps, report: PromotionReport, evidence_index: dict[str, str]
) -> tuple[str, int] | None:
    """Ask the model for a cited summary; returns (text, dropped claims) or None when it gave none."""
    chat = deps.guarded_chat()
    if chat is None:
        return None
    user = json.dumps(
        {
            "model": report.model,
            "version": report.version,
            "target": report.target,
            "decision": report.decision,
            "gates": [g.model_dump(mode="json") for g in report.gates],
            "evidence": evidence_index,
        },
        default=str,
    )
    answer, _stats = run_tool_loop(
        chat, system=SYSTEM, user=user, specs=[], output=PromotionSummary, max_rounds=deps.llm.max_tool_rounds
    )
    if answer is None:
        return None
    kept = [c for c in answer.claims if c.evidence and set(c.evidence) <= set(evidence_index)]
    lines = [answer.summary, *(f"- {c.text} [{', '.join(c.evidence)}]" for c in kept)]
    return "\n".join(lines), len(answer.claims) - len(kept)
