"""The FinOps report: billing totals per provider, cost trend, top movers, anomalies, savings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from agents.rightsizing.models import DecommissionCandidate, Recommendation, RightsizingTotals, ScheduleChange


class ProviderCost(BaseModel):
    """Billing totals of one provider and currency over the data's whole period."""

    provider: str
    currency: str
    billed_cost: float
    effective_cost: float
    list_cost: float
    rows: int = 0
    period_start: datetime | None = None
    period_end: datetime | None = None


class DailyCost(BaseModel):
    day: date
    cost: float


class Mover(BaseModel):
    """A cost item whose effective cost changed most between the previous and the last period."""

    key: str
    previous: float
    current: float

    @property
    def delta(self) -> float:
        return round(self.current - self.previous, 2)


class CostAnomaly(BaseModel):
    key: str
    day: date
    cost: float
    baseline: float
    z_score: float


class ComputeCost(BaseModel):
    """Cost of one compute resource (CPU, memory, GPU of a model, plain instances) in one currency.

    Classified by billing from FOCUS columns and the SKU map (``billing.compute_costs``).
    """

    resource: str
    gpu_model: str | None = None
    currency: str
    quantity: float = Field(description="vCPU-hours, GiB-hours, GPU-hours or instance-hours")
    effective_cost: float
    unit_cost: float | None = Field(default=None, description="effective cost per resource unit")


class WaterfallStep(BaseModel):
    label: str
    value: float
    kind: Literal["total", "delta"]


class FinOpsReport(BaseModel):
    """Output of the FinOps report (Markdown and HTML render from it)."""

    run_id: str
    generated_at: datetime
    currency: str = "USD"
    providers: list[ProviderCost] = Field(default_factory=list)
    daily: list[DailyCost] = Field(default_factory=list)
    movers: list[Mover] = Field(default_factory=list)
    mover_period_days: int = 7
    anomalies: list[CostAnomaly] = Field(default_factory=list)
    compute: list[ComputeCost] = Field(default_factory=list)
    rightsizing_totals: RightsizingTotals = Field(default_factory=RightsizingTotals)
    rightsizing_report_id: str | None = None
    price_source: str = ""
    top_recommendations: list[Recommendation] = Field(default_factory=list)
    schedules: list[ScheduleChange] = Field(default_factory=list)
    decommission: list[DecommissionCandidate] = Field(default_factory=list)
    waterfall: list[WaterfallStep] = Field(default_factory=list)
    evidence_ids: list[str] = Field(default_factory=list)
    missing_sources: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    report_id: str | None = None
