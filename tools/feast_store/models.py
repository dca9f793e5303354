"""The typed results the Feast tools return (pydantic models the gateway dumps to JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

FreshnessStatus = Literal["fresh", "late", "stale", "never"]


class FeatureInfo(BaseModel):
    name: str
    dtype: str


class FeatureViewInfo(BaseModel):
    """One registered feature view."""

    name: str
    entities: list[str]
    join_keys: list[str]
    features: list[FeatureInfo]
    ttl_s: float | None = Field(description="time to live in seconds; None means no TTL")
    schedule_s: float | None = Field(description="expected materialization cadence (schedule tag), seconds")
    online: bool
    owner: str
    tags: dict[str, str]
    description: str = ""


class ViewFreshness(BaseModel):
    """How long ago a view was last materialized, against its schedule and TTL."""

    feature_view: str
    last_materialized_end: datetime | None
    age_s: float | None
    ttl_s: float | None
    schedule_s: float | None
    status: FreshnessStatus
    reason: str


class FreshnessReport(BaseModel):
    checked_at: datetime
    views: list[ViewFreshness]


class FeatureParity(BaseModel):
    """Online versus point-in-time offline values of one feature over the sampled entity keys."""

    feature: str = Field(description="feature ref view:feature")
    compared: int
    mismatches: int
    mismatch_rate: float
    max_abs_diff: float | None
    missing_online: int
    missing_offline: int
    example_keys: list[str] = Field(description="up to 5 entity keys whose values differ")


class ParityReport(BaseModel):
    feature_view: str
    at: datetime = Field(description="timestamp of the point-in-time offline join")
    tolerance: float
    sampled_keys: int
    features: list[FeatureParity]
    skewed_features: list[str] = Field(description="refs of features with at least one mismatch")


class MaterializeResult(BaseModel):
    feature_view: str
    start: datetime | None = Field(description="interval start; None when Feast chose it (incremental)")
    end: datetime
    freshness: ViewFreshness
