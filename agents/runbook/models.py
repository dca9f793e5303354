"""Runbook data: the rule it comes from, its diagnosis queries, its sections."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class AlertRule(BaseModel):
    """A Prometheus alerting rule, as written in a rule file."""

    alert: str
    expr: str
    for_: str | None = Field(default=None, alias="for")
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    group: str = ""
    source: str = ""

    model_config = {"populate_by_name": True}

    @property
    def severity(self) -> str:
        return self.labels.get("severity", "warning")


class DiagnosisQuery(BaseModel):
    title: str
    promql: str
    why: str
    valid: bool | None = None
    error: str = ""
    evidence_id: str | None = None


class Runbook(BaseModel):
    alert: str
    severity: str
    owner: str | None = None
    component: str
    category: str = Field(default="service", description="model-quality, infrastructure/cost, ...")
    ml_component: bool = False
    source: str = ""
    meaning: str
    impact: list[str]
    diagnosis: list[DiagnosisQuery]
    diagnosis_steps: list[str] = Field(default_factory=list)
    mitigation: list[str]
    front_matter: dict[str, Any] = Field(default_factory=dict)
    url: str | None = None
    mode: str = "deterministic"
