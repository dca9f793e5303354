"""Settings of the promotion gates (environment variables prefixed ``REFERENT_PROMOTION_``).

Per-model overrides live in the registry as model tags, so the team that owns a model can tighten
its own gates: ``metric_directions`` (JSON object or ``auc:max,log_loss:min``), ``tolerance.<metric>``
(``"5"`` = absolute, ``"10%"`` = relative, ``"5,10%"`` = both), ``slo.latency_p99_ms``,
``slo.error_rate``, ``serving.model`` (the ``model`` label its serving metrics carry, when it differs
from the registered name).

Tolerances: a model tag beats ``metric_tolerances`` (settings, defaults in
:data:`DEFAULT_METRIC_TOLERANCES`), which beats the global ``tolerance``. Latencies get a tolerance a
team would use (10 % or 5 ms), not 1 % (0.4 ms on a 40 ms p99).

Canary evidence: promoting to a target in ``canary_required_targets`` needs traffic on the candidate
with its SLOs met; ``canary_waived_models`` (shell patterns, e.g. ``batch-*``) is the explicit waiver.
"""

from __future__ import annotations

import fnmatch

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

    @classmethod
    def parse(cls, raw: str) -> Tolerance | None:
        """``"5"`` (absolute), ``"10%"`` (relative) or ``"5,10%"``; None when malformed or empty."""
        absolute, relative = 0.0, 0.0
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        try:
            for part in parts:
                if part.endswith("%"):
                    relative = float(part[:-1]) / 100
                else:
                    absolute = float(part)
        except ValueError:
            return None
        if not parts or absolute < 0 or relative < 0:
            return None
        return cls(absolute=absolute, relative=relative)


def _ms(relative: float, absolute_ms: float) -> Tolerance:
    return Tolerance(absolute=absolute_ms, relative=relative)


DEFAULT_METRIC_TOLERANCES: dict[str, Tolerance] = {
    "latency_p99_ms": _ms(0.10, 5.0),
    "latency_p95_ms": _ms(0.10, 5.0),
    "latency_p50_ms": _ms(0.10, 2.0),
    "error_rate": Tolerance(absolute=0.001, relative=0.10),
    "alert_rate": Tolerance(absolute=0.001, relative=0.05),
    "false_positive_rate": Tolerance(absolute=0.001, relative=0.05),
}
TOLERANCE_TAG_PREFIX = "tolerance."


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
    canary_required_targets: list[str] = Field(
        default_factory=lambda: ["production"], description="targets that need canary/shadow evidence"
    )
    canary_waived_models: list[str] = Field(
        default_factory=list, description="models (shell patterns) explicitly waived from canary evidence"
    )
    freshness_blocking: list[str] = Field(default_factory=lambda: ["stale", "late", "never"])
    incident_report_hours: float = Field(
        default=168.0, gt=0, description="how far back stored triage reports are read for open incidents"
    )
    closed_report_states: list[str] = Field(default_factory=lambda: ["resolved", "closed", "mitigated"])

    def tolerance_for(self, metric: str, model_tags: dict[str, str] | None = None) -> Tolerance:
        """The tolerance of ``metric``: model tag ``tolerance.<metric>``, then settings, then the default."""
        tagged = (model_tags or {}).get(TOLERANCE_TAG_PREFIX + metric)
        parsed = Tolerance.parse(tagged) if tagged else None
        if parsed is not None:
            return parsed
        if metric in self.metric_tolerances:
            return self.metric_tolerances[metric]
        return DEFAULT_METRIC_TOLERANCES.get(metric, self.tolerance)

    def canary_required(self, model: str, target: str) -> bool:
        """Whether promoting ``model`` to ``target`` needs canary/shadow evidence (no waiver applies)."""
        if target not in self.canary_required_targets:
            return False
        return not any(fnmatch.fnmatchcase(model, pattern) for pattern in self.canary_waived_models)
