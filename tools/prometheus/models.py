"""Result models: what :class:`~tools.prometheus.client.PrometheusClient` returns and what the
``prometheus.*`` tools return to the gateway.

Client results: :class:`Sample`, :class:`RangeSeries`, :class:`ValidationResult`, :class:`RuleGroup`
(of :class:`Rule`) and :class:`Alert`. Tool results: :class:`QueryResult`, :class:`RangeResult` (one
:class:`~tools.prometheus.summary.SeriesSummary` per series, never the raw points) and :class:`ListResult`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from tools.prometheus.summary import SeriesSummary


class Sample(BaseModel):
    """One point of an instant vector (or a scalar, with no labels)."""

    labels: dict[str, str]
    value: float
    ts: datetime


class RangeSeries(BaseModel):
    """One series of a range query: labels and time-ordered ``(timestamp, value)`` points."""

    labels: dict[str, str]
    points: list[tuple[datetime, float]]


class ValidationResult(BaseModel):
    valid: bool
    error: str | None = None


class Rule(BaseModel):
    name: str
    type: str = Field(description="alerting or recording")
    query: str
    duration_s: float = 0.0
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    health: str = "unknown"
    last_error: str | None = None
    state: str | None = Field(default=None, description="alerting rules: inactive, pending or firing")


class RuleGroup(BaseModel):
    name: str
    file: str
    rules: list[Rule]


class Alert(BaseModel):
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    state: str
    active_at: datetime | None = None
    value: str | None = None


class QueryResult(BaseModel):
    samples: list[Sample]
    total: int
    truncated: bool


class RangeResult(BaseModel):
    start: datetime
    end: datetime
    step_s: float
    series: list[SeriesSummary]
    total: int
    truncated: bool


class ListResult(BaseModel):
    items: list[Any]
    total: int
    truncated: bool
