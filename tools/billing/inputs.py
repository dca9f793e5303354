"""Input models of the billing tools: the arguments the model may pass, validated by the gateway."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from tools.billing.names import DIMENSION_HELP

_DIM = f"one of {DIMENSION_HELP} (tag:<key> groups by that tag's value; day is the UTC date)"
_FILTERS = "dimension -> value or list of values every row must match, e.g. {'tag:team': 'fraud-ml'}"


class _Window(BaseModel):
    start: datetime | None = Field(default=None, description="first ChargePeriodStart included (UTC)")
    end: datetime | None = Field(default=None, description="ChargePeriodStart before this (UTC)")
    filters: dict[str, str | list[str]] = Field(default_factory=dict, description=_FILTERS)


class TotalsInput(_Window):
    by: str | None = Field(default=None, description=f"optional split: {_DIM}")


class CostByInput(_Window):
    dimension: str = Field(description=_DIM)
    limit: int | None = Field(default=25, ge=1, le=1000, description="rows returned at most")


class UnitPricesInput(BaseModel):
    resource_id: str | None = Field(default=None, description="only this ResourceId")
    sku_id: str | None = Field(default=None, description="only this SkuId")
    by_resource: bool = Field(default=False, description="one row per SKU and resource")
    start: datetime | None = None
    end: datetime | None = None
    limit: int | None = Field(default=50, ge=1, le=1000)


class AnomaliesInput(BaseModel):
    dimension: str = Field(default="service", description=_DIM)
    window: int = Field(default=7, ge=3, le=60, description="trailing days forming the baseline")
    threshold: float = Field(default=3.0, gt=0, description="minimum robust z-score reported")
    metric: str = Field(default="EffectiveCost", description="BilledCost, EffectiveCost or ListCost")
    lookback_days: int = Field(default=30, ge=4, le=400, description="days examined, ending at the latest")
    filters: dict[str, str | list[str]] = Field(default_factory=dict, description=_FILTERS)


class ResourceCostInput(BaseModel):
    resource_id: str | None = Field(default=None, description="ResourceId, or ResourceName (workload)")
    tags: dict[str, str] = Field(default_factory=dict, description="tag key -> value to match")
    days: int | None = Field(default=7, ge=1, le=400, description="last N days of data; null = all")


class ComputeCostsInput(_Window):
    """CPU, memory and GPU costs over a window (same filters as the other queries)."""
