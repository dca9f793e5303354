"""The rightsizing report: per-workload recommendations, schedules, decommission candidates, totals.

Money is per month (730 hours) in the billing currency, rounded to cents; the report's totals are sums
of the rounded per-workload figures, so they add up exactly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Risk = Literal["low", "medium", "high"]
Action = Literal["cut", "bump", "resize", "keep", "schedule", "decommission", "insufficient_history"]
ConfidenceLevel = Literal["low", "medium", "high"]


class Bounds(BaseModel):
    """A VPA-style estimate: target with lower/upper bounds, in the resource's unit."""

    target: float
    lower: float
    upper: float


class ResourceValue(BaseModel):
    """Current and recommended value of one resource per pod (cores, GiB or GPUs)."""

    current: float
    recommended: float
    bounds: Bounds | None = None
    peak: float | None = Field(default=None, description="highest observed usage in the window")
    note: str = Field(default="", description="why the recommendation lies outside its bounds, when it does")

    @property
    def change(self) -> str:
        """``cut``, ``bump`` or ``keep``."""
        if self.recommended < self.current:
            return "cut"
        return "bump" if self.recommended > self.current else "keep"


class SavingsBreakdown(BaseModel):
    """Monthly savings of one workload by cause (negative = the change costs money)."""

    rightsize: float = 0.0
    schedule: float = 0.0
    decommission: float = 0.0

    @property
    def total(self) -> float:
        return round(self.rightsize + self.schedule + self.decommission, 2)


class Recommendation(BaseModel):
    """What to do with one workload, why, and what it saves.

    ``action`` sums the per-resource changes (``resize`` = some resources cut, others bumped);
    ``changes`` says what happens to each resource. ``confidence`` (0–1) grows with the days of usage
    history behind the estimate (:func:`agents.rightsizing.recommend.confidence_of`).
    """

    workload: str
    namespace: str
    env: str = "production"
    team: str = ""
    replicas: int = 1
    action: Action
    cpu: ResourceValue | None = None
    memory_gib: ResourceValue | None = None
    gpu: ResourceValue | None = None
    confidence_days: float = Field(description="VPA confidence: days of history backing the estimate")
    confidence: float = Field(default=0.0, ge=0, le=1, description="confidence in the estimate, 0-1")
    confidence_level: ConfidenceLevel = "low"
    history_days: float
    changes: list[str] = Field(default_factory=list, description="what happens to each resource")
    current_monthly_cost: float = 0.0
    monthly_savings: float = 0.0
    savings: SavingsBreakdown = Field(default_factory=SavingsBreakdown)
    risk: Risk = "low"
    risk_reasons: list[str] = Field(default_factory=list)
    reason: str = ""
    oom_events: int = 0
    evidence_ids: list[str] = Field(default_factory=list)


class ScheduleChange(BaseModel):
    """Scale-to-zero outside working hours for capacity idle on nights and weekends."""

    workload: str
    namespace: str
    timezone: str = "UTC"
    scale_down_cron: str = Field(description="cron (local time) when replicas go to 0")
    scale_up_cron: str = Field(description="cron (local time) when replicas come back")
    off_hours_share: float = Field(description="fraction of the week scaled to zero")
    busy_usage: float = Field(description="mean CPU cores per pod in working hours")
    idle_usage: float = Field(description="mean CPU cores per pod off hours")
    monthly_savings: float
    evidence_ids: list[str] = Field(default_factory=list)


class DecommissionCandidate(BaseModel):
    """Capacity that does no work: no traffic, an idle GPU, a model version nobody calls."""

    kind: Literal["workload", "gpu", "model_version"]
    workload: str
    namespace: str
    detail: str
    monthly_savings: float = 0.0
    evidence_ids: list[str] = Field(default_factory=list)


class Pricing(BaseModel):
    """Unit prices used for the money figures and where they came from."""

    currency: str = "USD"
    cpu_core_hour: float
    mem_gib_hour: float
    gpu_hour: dict[str, float] = Field(default_factory=dict)
    source: Literal["billing", "list_prices"]
    note: str = ""
    evidence_ids: list[str] = Field(default_factory=list)


class RightsizingTotals(BaseModel):
    current_monthly_cost: float = 0.0
    monthly_savings: float = 0.0
    rightsize: float = 0.0
    schedule: float = 0.0
    decommission: float = 0.0
    workloads: int = 0
    cuts: int = 0
    bumps: int = 0
    resizes: int = 0


class RightsizingReport(BaseModel):
    """Output of the rightsizing agent (JSON, Markdown and Slack blocks render from it)."""

    run_id: str
    generated_at: datetime
    mode: str = Field(
        default="deterministic", description='"deterministic", "llm", or "deterministic (model failed: why)"'
    )
    window_days: float
    namespace: str | None = None
    workload: str | None = None
    pricing: Pricing
    recommendations: list[Recommendation] = Field(default_factory=list)
    schedules: list[ScheduleChange] = Field(default_factory=list)
    decommission: list[DecommissionCandidate] = Field(default_factory=list)
    totals: RightsizingTotals = Field(default_factory=RightsizingTotals)
    missing_sources: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    summary: str = ""
    dropped_claims: int = 0
    report_id: str | None = None

    def recommendation(self, workload: str) -> Recommendation | None:
        return next((r for r in self.recommendations if r.workload == workload), None)
