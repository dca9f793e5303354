"""Settings of the promotion gates (environment variables prefixed ``REFERENT_PROMOTION_``).

Per-model overrides live in the registry as model tags, so the team that owns a model can tighten
its own gates: ``metric_directions`` (JSON object or ``auc:max,log_loss:min``), ``slo.latency_p99_ms``,
``slo.error_rate``, ``serving.model`` (the ``model`` label its serving metrics carry, when it differs
from the registered name).
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_METRIC_DIRECTIONS: dict[str, str] = {
    "auc": "max",
    "roc_auc": "max",
    "pr_auc": "max",
    "average_precision": "max",
    "accuracy": "max",
    "f1": "max",
    "precision": "max",
    "recall": "max",
    "precision_at_1pct_fpr": "max",
    "recall_at_1pct_fpr": "max",
    "recall_at_5pct": "max",
    "ks": "max",
    "gini": "max",
    "log_loss": "min",
    "brier": "min",
    "rmse": "min",
    "mae": "min",
    "mse": "min",
    "alert_rate": "min",
    "false_positive_rate": "min",
    "latency_p99_ms": "min",
    "latency_p50_ms": "min",
    "error_rate": "min",
}


class Tolerance(BaseModel):
    """How much worse than the champion a metric may be: ``max(absolute, relative * |champion|)``."""

    absolute: float = Field(default=0.002, ge=0)
    relative: float = Field(default=0.01, ge=0)

    def allowed(self, baseline: float) -> float:
        return max(self.absolute, self.relative * abs(baseline))


class PromotionSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REFERENT_PROMOTION_", extra="ignore")

    tolerance: Tolerance = Field(default_factory=Tolerance)
    metric_tolerances: dict[str, Tolerance] = Field(default_factory=dict, description="per-metric overrides")
    metric_directions: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_METRIC_DIRECTIONS))
    required_tags: list[str] = Field(default_factory=lambda: ["owner", "training_data_version", "approval"])
    approval_tag_values: list[str] = Field(default_factory=lambda: ["approved", "true", "yes"])
    slo_window: str = Field(default="1h", description="PromQL range of the canary/shadow window")
    slo_latency_p99_s: float = Field(default=0.25, gt=0)
    slo_error_rate: float = Field(default=0.01, gt=0, le=1)
    slo_min_requests: float = Field(
        default=1.0, ge=0, description="fewer requests in the window = no traffic"
    )
    freshness_blocking: list[str] = Field(default_factory=lambda: ["stale", "late", "never"])
    incident_report_hours: float = Field(
        default=24.0, gt=0, description="triage reports younger than this count"
    )
    closed_report_states: list[str] = Field(default_factory=lambda: ["resolved", "closed", "mitigated"])

    def tolerance_for(self, metric: str) -> Tolerance:
        return self.metric_tolerances.get(metric, self.tolerance)
