"""Typed results of the promotion agent: gate outcomes, the facts they judged, and the report.

Everything here is JSON-able (``model_dump(mode="json")``) because it also lives in the LangGraph
state, which the durable checkpointer writes to disk while a run waits for a human approval.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

Target = Literal["staging", "production"]
TARGET_ALIAS: dict[str, str] = {"staging": "staging", "production": "champion"}
PREVIOUS_TAG_PREFIX = "referent.previous_"


def previous_tag(alias: str) -> str:
    """Model tag that remembers which version ``alias`` pointed at before the last promotion."""
    return f"{PREVIOUS_TAG_PREFIX}{alias}"


class GateStatus(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"


class GateResult(BaseModel):
    """The outcome of one gate: what it decided and why, citing the evidence it used."""

    gate: str
    status: GateStatus
    why: str
    details: list[str] = Field(default_factory=list, description="one line per compared item")
    evidence: list[str] = Field(default_factory=list, description="evidence ids (E1, ...) the gate used")


class VersionFacts(BaseModel):
    """What the registry says about one model version."""

    version: str
    metrics: dict[str, float] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    inputs: list[dict[str, Any]] | None = Field(
        default=None, description="signature inputs (name, type, required)"
    )
    outputs: list[dict[str, Any]] | None = None
    evidence: list[str] = Field(default_factory=list)


class AliasEvent(BaseModel):
    alias: str
    version: str
    at: datetime | None = None
    by: str = ""


class SloFacts(BaseModel):
    """Serving SLO measurements of the candidate version over the canary/shadow window."""

    requests: float | None = None
    latency_p99_s: float | None = None
    error_rate: float | None = None
    window: str = "1h"
    selector: str = ""
    evidence: list[str] = Field(default_factory=list)


class IncidentFacts(BaseModel):
    alerts: list[dict[str, Any]] = Field(
        default_factory=list, description="firing or pending alerts naming the model"
    )
    open_reports: list[dict[str, Any]] = Field(
        default_factory=list, description="open triage reports for the model"
    )
    evidence: list[str] = Field(default_factory=list)


class PromotionFacts(BaseModel):
    """Everything the gates judge, gathered once through the gateway.

    A field left ``None`` means its source did not answer; ``unavailable`` names those sources.
    """

    model: str
    version: str
    target: Target
    model_tags: dict[str, str] = Field(default_factory=dict)
    metric_directions: dict[str, Literal["max", "min"]] = Field(default_factory=dict)
    candidate: VersionFacts | None = None
    baseline: VersionFacts | None = Field(default=None, description="the champion compared against")
    baseline_note: str = ""
    current_target_version: str | None = Field(default=None, description="version the target alias holds now")
    alias_history: list[AliasEvent] | None = None
    features: list[str] = Field(default_factory=list, description="feature refs view:feature the model uses")
    feature_views: dict[str, dict[str, Any]] | None = Field(default=None, description="freshness per view")
    slo: SloFacts | None = None
    incidents: IncidentFacts | None = None
    unavailable: dict[str, str] = Field(default_factory=dict, description="source -> error")
    evidence_index: dict[str, str] = Field(
        default_factory=dict, description="evidence id -> one-line summary"
    )


Decision = Literal["promote", "block"]
ApprovalState = Literal["not_needed", "pending", "approved", "denied", "expired", "invalid"]


class PromotionReport(BaseModel):
    """The promotion (or rollback) verdict: gates, decision, the approval and what moved."""

    kind: Literal["promote", "rollback"] = "promote"
    run_id: str
    model: str
    version: str
    target: Target
    alias: str
    dry_run: bool = False
    gates: list[GateResult] = Field(default_factory=list)
    decision: Decision
    reasons: list[str] = Field(default_factory=list)
    approval_id: str | None = None
    approval_status: ApprovalState = "not_needed"
    approved_by: str | None = None
    alias_moved: bool = False
    previous_champion: str | None = Field(default=None, description="version the alias held before this run")
    baseline_version: str | None = None
    missing_sources: list[str] = Field(default_factory=list)
    summary: str = ""
    mode: str = Field(
        default="deterministic", description='"deterministic", "llm", or "deterministic (model failed: why)"'
    )
    dropped_claims: int = 0
    generated_at: datetime | None = None
    report_id: str | None = None

    @property
    def failed_gates(self) -> list[GateResult]:
        return [g for g in self.gates if g.status is GateStatus.FAIL]

    def gate(self, name: str) -> GateResult:
        """The result of gate ``name`` (raises KeyError when the gate did not run)."""
        for g in self.gates:
            if g.gate == name:
                return g
        raise KeyError(name)
