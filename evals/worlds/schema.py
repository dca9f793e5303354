"""The world schema: a declarative platform state the sandbox loads into real servers.

Times are written relative to the world's *anchor* (the moment ``sandbox up`` runs, rounded down to
the step): ``"3h"`` in an ``*_ago`` field means three hours before the anchor. Everything the loaders
write (MLflow timestamps, Prometheus samples, Feast materializations, billing rows) derives from the
anchor, so the same world always tells the same story relative to "now".

Incidents are cross-cutting faults: each loader applies the effects that concern its system (a
``bad_model_version`` moves an MLflow alias *and* raises the serving error rate in Prometheus).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: object) -> timedelta:
    """Parse ``"90s"``, ``"15m"``, ``"3h"``, ``"2d"``, ``"1w"`` (or a number of seconds, or a timedelta)."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float):
        return timedelta(seconds=float(value))
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"not a duration: {value!r} (use e.g. 90s, 15m, 3h, 2d)")
    return timedelta(seconds=float(match.group(1)) * _UNIT_S[match.group(2)])


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- MLflow -----------------------------------------------------------------------------------


class SignatureField(_Strict):
    name: str
    type: Literal["double", "float", "long", "integer", "string", "boolean", "datetime"]


class ModelVersionSpec(_Strict):
    version: int = Field(ge=1)
    created_ago: Duration
    description: str = ""
    metrics: dict[str, float] = Field(default_factory=dict)
    params: dict[str, str] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    inputs: list[SignatureField] = Field(default_factory=list)
    outputs: list[SignatureField] = Field(default_factory=list)


class AliasEvent(_Strict):
    """``alias`` pointed at ``version`` from ``ago`` on (until a later event for the same alias)."""

    alias: str
    version: int
    ago: Duration
    by: str = "ci-pipeline"


class ModelSpec(_Strict):
    name: str
    description: str = ""
    tags: dict[str, str] = Field(default_factory=dict)
    features: list[str] = Field(default_factory=list, description="feature refs 'view:feature'")
    metric_directions: dict[str, Literal["max", "min"]] = Field(default_factory=dict)
    versions: list[ModelVersionSpec]
    alias_history: list[AliasEvent] = Field(default_factory=list)
    serving_workload: str | None = None

    def alias_at(self, alias: str, ago: timedelta) -> int | None:
        """Version the alias pointed at ``ago`` before the anchor (None if unset then)."""
        current = None
        for ev in sorted(self.alias_history, key=lambda e: -e.ago.total_seconds()):
            if ev.alias == alias and ev.ago >= ago:
                current = ev.version
        return current


# --- Feast ------------------------------------------------------------------------------------


class FeatureSpec(_Strict):
    name: str
    dtype: Literal["int64", "float64", "string"] = "float64"
    mean: float = 0.0
    std: float = 1.0


class FeatureViewSpec(_Strict):
    name: str
    entity: str
    join_key: str
    features: list[FeatureSpec]
    ttl: Duration
    schedule: Duration = Field(description="how often materialization is expected to run")
    last_materialized_ago: Duration = Field(default=timedelta(minutes=10))
    n_entities: int = Field(default=200, ge=1)
    owner: str = "ml-platform"


# --- Workloads (Prometheus series + billing) ---------------------------------------------------


class UsageProfile(_Strict):
    """A usage series: ``mean`` with a diurnal swing, noise, and optional off-hours idling."""

    mean: float = Field(ge=0)
    diurnal: float = Field(default=0.3, ge=0, le=1, description="peak-to-mean swing as a fraction")
    noise: float = Field(default=0.05, ge=0, le=1)
    peak: float | None = Field(default=None, description="occasional spikes reach this value")
    off_hours_idle: bool = False


class WorkloadSpec(_Strict):
    name: str
    namespace: str
    kind: Literal["serving", "batch", "training", "notebook", "feature-pipeline", "service"]
    env: Literal["dev", "staging", "production"] = "production"
    team: str = "ml-platform"
    model: str | None = None
    container: str | None = Field(
        default=None, description="the pods' container name (default: the workload name)"
    )
    replicas: int = Field(default=1, ge=1)
    cpu_request: float = Field(gt=0, description="cores per pod")
    cpu_limit: float | None = None
    mem_request_gib: float = Field(gt=0)
    mem_limit_gib: float | None = None
    gpus: int = Field(default=0, ge=0)
    gpu_type: str = "nvidia-a10g"
    cpu_usage: UsageProfile
    mem_usage_gib: UsageProfile
    gpu_util_pct: UsageProfile | None = None
    traffic_rps: float = Field(default=0.0, ge=0, description="serving only: requests/s per workload")
    latency_p99_ms: float = 0.0
    error_rate: float = Field(default=0.0, ge=0, le=1)
    dependencies: list[str] = Field(
        default_factory=list,
        description="services or stores this workload calls (online feature store, downstream APIs); "
        "its client-side metrics time each call",
    )
    client_metrics: Literal["dependency", "opentelemetry"] = Field(
        default="dependency",
        description="label convention of those client-side metrics: dependency_request_duration_seconds"
        "{service,dependency,code} or OpenTelemetry http_client_request_duration_seconds"
        "{job,server_address,http_response_status_code}",
    )


# --- Incidents ----------------------------------------------------------------------------------

IncidentKind = Literal[
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
]


class AlertSpec(_Strict):
    """The alert the incident fires (what Alertmanager would send)."""

    alertname: str
    severity: Literal["info", "warning", "critical"] = "warning"
    labels: dict[str, str] = Field(default_factory=dict)
    summary: str = ""
    lag: Duration = Field(
        default=timedelta(0), description="the alert starts firing this long after the fault"
    )


class IncidentSpec(_Strict):
    """A fault injected into the world.

    ``model`` / ``workload`` / ``feature_view`` / ``feature`` name what it hits; ``version`` is the bad
    version for ``bad_model_version``; ``magnitude`` scales the effect (error-rate multiplier, PSI,
    skew offset in feature standard deviations, request-rate multiplier of a ``traffic_surge``, ...).
    A ``degraded_dependency`` names the calling ``workload`` and the ``dependency`` (one of its
    ``dependencies``) that got slow and failing; a ``crash_loop_after_rollout`` names the Deployment
    (``workload``) whose rollout at ``start_ago`` crash-loops.
    """

    id: str
    kind: IncidentKind
    start_ago: Duration
    end_ago: Duration | None = None
    model: str | None = None
    version: int | None = None
    workload: str | None = None
    feature_view: str | None = None
    feature: str | None = None
    dependency: str | None = None
    magnitude: float = 1.0
    description: str = ""
    alert: AlertSpec | None = None

    def firing_alert(self, anchor: datetime) -> dict[str, Any]:
        """The Alertmanager alert this incident fires, starting ``alert.lag`` after the incident started.

        Raises:
            ValueError: the incident declares no alert.
        """
        if self.alert is None:
            raise ValueError(f"incident {self.id} has no alert")
        a = self.alert
        return {
            "status": "firing",
            "labels": {"alertname": a.alertname, "severity": a.severity, **a.labels},
            "annotations": {"summary": a.summary},
            "startsAt": (anchor - self.start_ago + a.lag).isoformat(),
        }


# --- Billing --------------------------------------------------------------------------------------


class BillingSpec(_Strict):
    provider: Literal["AWS", "Microsoft", "Google Cloud"] = "AWS"
    billing_account_id: str = "400012345678"
    sub_account_id: str = "400087654321"
    currency: str = "USD"
    region: str = "sa-east-1"
    days: int = Field(default=30, ge=1)
    cpu_core_hour: float = Field(default=0.0465, description="list price per vCPU-hour")
    mem_gib_hour: float = Field(default=0.0062)
    gpu_hour: dict[str, float] = Field(default_factory=lambda: {"nvidia-a10g": 1.212, "nvidia-t4": 0.526})
    effective_discount: float = Field(default=0.28, ge=0, lt=1, description="savings-plan discount")
    include_sample: bool = Field(default=True, description="also ship the real FOCUS 1.0 sample")


class World(_Strict):
    name: str
    description: str = ""
    history: Duration = Field(default=timedelta(days=14))
    future: Duration = Field(default=timedelta(hours=12), description="series continue past the anchor")
    step: Duration = Field(default=timedelta(minutes=5))
    seed: int = 7
    sources_down: list[Literal["prometheus", "mlflow", "feast"]] = Field(
        default_factory=list,
        description="sources the sandbox loads but advertises at an unreachable endpoint (an outage)",
    )
    alias_history_tag: bool = Field(
        default=True,
        description="write the referent.alias_history tag to MLflow (False: a stock registry, aliases only)",
    )
    models: list[ModelSpec] = Field(default_factory=list)
    feature_views: list[FeatureViewSpec] = Field(default_factory=list)
    workloads: list[WorkloadSpec] = Field(default_factory=list)
    incidents: list[IncidentSpec] = Field(default_factory=list)
    billing: BillingSpec = Field(default_factory=BillingSpec)

    @model_validator(mode="after")
    def _references_exist(self) -> World:
        models = {m.name for m in self.models}
        views = {v.name: {f.name for f in v.features} for v in self.feature_views}
        workloads = {w.name for w in self.workloads}
        errors: list[str] = []
        for m in self.models:
            versions = {v.version for v in m.versions}
            errors += [
                f"model {m.name}: alias event names unknown version {e.version}"
                for e in m.alias_history
                if e.version not in versions
            ]
            for ref in m.features:
                view, _, feat = ref.partition(":")
                if feat not in views.get(view, set()):
                    errors.append(f"model {m.name}: unknown feature {ref}")
            if m.serving_workload and m.serving_workload not in workloads:
                errors.append(f"model {m.name}: unknown serving workload {m.serving_workload}")
        for w in self.workloads:
            if w.model and w.model not in models:
                errors.append(f"workload {w.name}: unknown model {w.model}")
        for inc in self.incidents:
            if inc.model and inc.model not in models:
                errors.append(f"incident {inc.id}: unknown model {inc.model}")
            if inc.workload and inc.workload not in workloads:
                errors.append(f"incident {inc.id}: unknown workload {inc.workload}")
            if inc.feature_view and inc.feature_view not in views:
                errors.append(f"incident {inc.id}: unknown feature view {inc.feature_view}")
            errors += self._kind_errors(inc)
        if errors:
            raise ValueError("; ".join(errors))
        return self

    def _kind_errors(self, inc: IncidentSpec) -> list[str]:
        """What an incident of one of the workload kinds needs: its workload, and what it acts on."""
        needs_workload = ("traffic_surge", "degraded_dependency", "crash_loop_after_rollout")
        if inc.kind not in needs_workload:
            return []
        w = next((w for w in self.workloads if w.name == inc.workload), None)
        if w is None:
            return [f"incident {inc.id}: {inc.kind} needs a workload"]
        if inc.kind == "traffic_surge" and w.traffic_rps <= 0:
            return [f"incident {inc.id}: {w.name} has no traffic to surge"]
        if inc.kind == "degraded_dependency" and inc.dependency not in w.dependencies:
            return [f"incident {inc.id}: {inc.dependency!r} is not one of {w.name}'s dependencies"]
        if inc.kind == "crash_loop_after_rollout" and w.kind in ("batch", "training"):
            return [f"incident {inc.id}: {w.name} is a Job, not a Deployment"]
        return []

    def model(self, name: str) -> ModelSpec:
        return next(m for m in self.models if m.name == name)

    def workload(self, name: str) -> WorkloadSpec:
        return next(w for w in self.workloads if w.name == name)

    def feature_view(self, name: str) -> FeatureViewSpec:
        return next(v for v in self.feature_views if v.name == name)

    def incidents_of(self, kind: str) -> list[IncidentSpec]:
        return [i for i in self.incidents if i.kind == kind]


def anchor_now(step: timedelta, now: datetime | None = None) -> datetime:
    """The world's anchor: ``now`` (UTC) rounded down to the step."""
    now = now or datetime.now(UTC)
    epoch = int(now.timestamp())
    s = int(step.total_seconds())
    return datetime.fromtimestamp(epoch - epoch % s, tz=UTC)


WORLDS_DIR = Path(__file__).parent


def world_path(name: str) -> Path:
    """Path of a named world shipped in this package, or ``name`` itself when it is a file."""
    candidate = Path(name)
    if candidate.suffix in {".yaml", ".yml"} and candidate.exists():
        return candidate
    path = WORLDS_DIR / f"{name}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in WORLDS_DIR.glob("*.yaml"))
        raise FileNotFoundError(f"unknown world {name!r}; known: {', '.join(known)}")
    return path


def load_world(name: str) -> World:
    """Load and validate a world by name (``demo``) or path."""
    data = yaml.safe_load(world_path(name).read_text())
    return World.model_validate(data)
