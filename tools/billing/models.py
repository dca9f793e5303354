"""Result models of the billing queries; money is Decimal and always paired with its currency."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field


class _Costs(BaseModel):
    currency: str = Field(description="ISO currency of every amount in the row (BillingCurrency)")
    billed_cost: Decimal = Field(description="sum of BilledCost: what is invoiced")
    effective_cost: Decimal = Field(description="sum of EffectiveCost: amortized cost after discounts")
    list_cost: Decimal = Field(description="sum of ListCost: cost at public list prices")
    rows: int = Field(description="billing rows aggregated")


class ProviderTotal(_Costs):
    provider: str | None
    key: str | None = Field(default=None, description="value of the `by` dimension, when asked")
    contracted_cost: Decimal
    period_start: datetime | None = Field(description="earliest ChargePeriodStart (UTC)")
    period_end: datetime | None = Field(description="latest ChargePeriodEnd (UTC)")


class CostRow(_Costs):
    dimension: str
    key: str | None = Field(description="dimension value; null for rows without one (e.g. untagged)")


class UnitPrice(BaseModel):
    provider: str | None
    sku_id: str | None
    resource_id: str | None = None
    pricing_unit: str | None
    currency: str
    rows: int
    pricing_quantity: Decimal
    list_cost: Decimal
    effective_cost: Decimal
    list_unit_price_min: Decimal | None = Field(description="lowest ListUnitPrice seen")
    list_unit_price_max: Decimal | None = Field(description="highest ListUnitPrice seen")
    contracted_unit_price: Decimal | None = Field(description="highest ContractedUnitPrice seen")
    list_cost_per_unit: Decimal | None = Field(description="ListCost / PricingQuantity")
    effective_cost_per_unit: Decimal | None = Field(description="EffectiveCost / PricingQuantity")


class Anomaly(BaseModel):
    dimension: str
    key: str | None
    currency: str
    metric: str
    day: date
    cost: Decimal = Field(description="the day's cost")
    previous_cost: Decimal
    delta: Decimal = Field(description="cost minus the previous day's cost")
    baseline_median: Decimal = Field(description="median daily cost of the trailing window")
    baseline_mad: Decimal = Field(description="median absolute deviation of the trailing window")
    z_score: float


class ResourceCostLine(BaseModel):
    service: str | None
    sku_id: str | None
    pricing_unit: str | None
    pricing_quantity: Decimal
    billed_cost: Decimal
    effective_cost: Decimal
    list_cost: Decimal


class ResourceCost(BaseModel):
    resource: str | None
    tags: dict[str, str]
    currency: str
    start: datetime
    end: datetime
    hours: float = Field(description="hours between the first charge period start and the last end")
    billed_cost: Decimal
    effective_cost: Decimal
    list_cost: Decimal
    hourly_effective: Decimal
    monthly_effective: Decimal = Field(description="hourly_effective x 730")
    hourly_list: Decimal
    monthly_list: Decimal
    resource_ids: list[str] = Field(description="matching ResourceIds (at most 50)")
    lines: list[ResourceCostLine]


class ComputeCostLine(BaseModel):
    """Cost of one compute SKU (× instance type) classified as CPU, memory, GPU or a plain instance."""

    resource: str = Field(description="cpu (vCPU-hours), memory (GiB-hours), gpu (GPU-hours), instance")
    gpu_model: str | None = None
    instance_type: str | None = None
    basis: str = Field(description="what decided the class: a SKU map rule, a unit, an instance type")
    provider: str | None
    service: str | None
    sku_id: str | None
    sku_price_id: str | None
    pricing_unit: str | None
    currency: str
    rows: int
    quantity: Decimal = Field(description="resource units: vCPU-hours, GiB-hours, GPU-hours, instance-hours")
    billed_cost: Decimal
    effective_cost: Decimal
    list_cost: Decimal
    effective_cost_per_unit: Decimal | None = Field(description="EffectiveCost per resource unit")
    list_cost_per_unit: Decimal | None = Field(description="ListCost per resource unit")


class ComputeCostTotal(BaseModel):
    """Sum over the lines of one resource (and GPU model) in one currency."""

    resource: str
    gpu_model: str | None = None
    currency: str
    quantity: Decimal
    billed_cost: Decimal
    effective_cost: Decimal
    list_cost: Decimal
    effective_cost_per_unit: Decimal | None


class ComputeCosts(BaseModel):
    """CPU, memory and GPU costs found from FOCUS columns and the SKU map."""

    lines: list[ComputeCostLine]
    totals: list[ComputeCostTotal]
