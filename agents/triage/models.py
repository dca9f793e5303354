"""The triage report: typed, JSON-serializable, the same in deterministic and LLM mode."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from agents.triage.alert import NormalizedAlert

HypothesisKind = Literal[
    "bad_model_version",
    "stale_feature_view",
    "online_offline_skew",
    "input_drift",
    "oom",
    "cpu_saturation",
    "idle_gpu",
    "failed_job",
    "traffic_surge",
    "degraded_dependency",
    "crash_loop_after_rollout",
    "unknown",
]
HYPOTHESIS_KINDS: tuple[str, ...] = HypothesisKind.__args__  # type: ignore[attr-defined]


class Culprit(BaseModel):
    """What a hypothesis blames. Only the fields that apply are set."""

    model: str | None = None
    version: str | None = None
    previous_version: str | None = None
    alias: str | None = None
    workload: str | None = None
    namespace: str | None = None
    container: str | None = None
    feature_view: str | None = None
    feature: str | None = None
    dependency: str | None = Field(
        default=None, description="a service or store the workload calls (feature store, downstream API)"
    )

    def describe(self) -> str:
        parts = []
        if self.model:
            parts.append(f"model {self.model}" + (f" v{self.version}" if self.version else ""))
        if self.feature_view:
            parts.append(f"feature view {self.feature_view}")
        if self.feature:
            parts.append(f"feature {self.feature}")
        if self.workload:
            parts.append(f"workload {self.namespace + '/' if self.namespace else ''}{self.workload}")
        if self.dependency:
            parts.append(f"dependency {self.dependency}")
        return ", ".join(parts) or "unidentified"


class EvidenceRef(BaseModel):
    """A piece of gathered evidence as a hypothesis cites it."""

    id: str = Field(description="evidence id from the run's ledger (E1, E2, ...)")
    source: str
    query: str
    value: Any = None
    at: datetime | None = None
    summary: str = ""


class Contribution(BaseModel):
    """One term of the evidence-weighting model: a signal and the log-odds it added."""

    signal: str
    weight: float
    detail: str = ""


class Hypothesis(BaseModel):
    kind: HypothesisKind
    title: str
    culprit: Culprit = Field(default_factory=Culprit)
    confidence: float = Field(ge=0, le=1)
    log_odds: float = 0.0
    contributions: list[Contribution] = Field(default_factory=list)
    evidence: list[EvidenceRef] = Field(default_factory=list)
    explanation: str = ""


class NextAction(BaseModel):
    """A suggested step. ``requires_approval`` writes are never performed by triage itself."""

    title: str
    command: str | None = None
    tool: str | None = None
    arguments: dict[str, Any] = Field(default_factory=dict)
    requires_approval: bool = False


class SourceState(BaseModel):
    source: str
    ok: bool
    error: str = ""


class TriageReport(BaseModel):
    """What triage concluded about one alert."""

    run_id: str
    mode: str = Field(description='"deterministic", "llm", or "deterministic (model failed: why)"')
    alert: NormalizedAlert
    created_at: datetime
    window_start: datetime
    window_end: datetime
    incident_start: datetime | None = Field(default=None, description="best estimate of when it began")
    targets: dict[str, Any] = Field(default_factory=dict, description="what the collectors looked at")
    collectors: list[str] = Field(default_factory=list)
    hypotheses: list[Hypothesis] = Field(default_factory=list, description="ranked, most likely first")
    abstained: bool = False
    abstain_reason: str = ""
    next_checks: list[str] = Field(default_factory=list)
    next_actions: list[NextAction] = Field(default_factory=list)
    sources: list[SourceState] = Field(default_factory=list)
    missing_sources: list[str] = Field(default_factory=list)
    unfinished_collectors: list[str] = Field(
        default_factory=list, description="collectors still working when the triage deadline passed"
    )
    evidence: list[EvidenceRef] = Field(default_factory=list)
    dropped_claims: int = Field(default=0, description="LLM claims dropped for citing unknown evidence")
    llm_stats: dict[str, Any] = Field(default_factory=dict)
    report_id: str | None = None

    @property
    def top(self) -> Hypothesis | None:
        return None if self.abstained or not self.hypotheses else self.hypotheses[0]
