"""What a cause kind declares: typed signal names, weighting rules, title, symptoms, mitigation, collectors.

One module per kind in this package builds a :class:`CauseKind`; :mod:`agents.triage.kinds` collects them
into :data:`agents.triage.kinds.KINDS`, from which scoring, titles, symptoms and suggested actions are
derived. Signal names are members of :class:`Signal`: a misspelt name in a rule is an ``AttributeError``
at import and a type error for mypy, and a finding with an unknown signal fails validation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from agents.triage.models import Hypothesis, NextAction


class Signal(StrEnum):
    """Every observation a collector may report (the ``signal`` of a finding)."""

    # model registry (collector: mlflow)
    ALIAS_MOVED = "alias_moved"
    NEW_PRODUCTION_VERSION = "new_production_version"
    SIGNATURE_CHANGED = "signature_changed"
    SIGNATURE_SAME = "signature_same"
    APPROVAL_MISSING = "approval_missing"
    APPROVAL_PRESENT = "approval_present"
    # serving golden signals (collector: golden_signals)
    SERVING_ERRORS_UP = "serving_errors_up"
    SERVING_LATENCY_UP = "serving_latency_up"
    SERVING_STEADY = "serving_steady"
    VERSION_TOOK_TRAFFIC = "version_took_traffic"
    VERSION_ERRORS_HIGHER = "version_errors_higher"
    VERSION_ERRORS_SAME = "version_errors_same"
    # distributions (collector: drift)
    PREDICTION_PSI_UP = "prediction_psi_up"
    FEATURE_PSI_HIGH = "feature_psi_high"
    FEATURE_PSI_MODERATE = "feature_psi_moderate"
    PSI_SHIFT = "psi_shift"
    # feature store (collectors: feast, freshness_metric)
    FEAST_STALE = "feast_stale"
    FEAST_LATE = "feast_late"
    MATERIALIZATION_LAG = "materialization_lag"
    PARITY_MISMATCH = "parity_mismatch"
    PARITY_CLEAN = "parity_clean"
    # resources (collectors: saturation, gpu, cost)
    OOM_KILLED = "oom_killed"
    MEMORY_NEAR_LIMIT = "memory_near_limit"
    RESTARTS = "restarts"
    CPU_THROTTLED = "cpu_throttled"
    CPU_AT_LIMIT = "cpu_at_limit"
    GPU_IDLE = "gpu_idle"
    GPU_COST = "gpu_cost"
    # Kubernetes Jobs (collector: jobs)
    JOB_FAILED = "job_failed"
    # request rate against its seasonal baseline (collector: traffic)
    TRAFFIC_ABOVE_BASELINE = "traffic_above_baseline"
    TRAFFIC_RISE = "traffic_rise"
    TRAFFIC_AT_BASELINE = "traffic_at_baseline"
    # client-side calls to dependencies: feature store, downstream services (collector: dependencies)
    DEPENDENCY_LATENCY_UP = "dependency_latency_up"
    DEPENDENCY_ERRORS_UP = "dependency_errors_up"
    # Kubernetes Deployments and pod states (collector: kube_rollout)
    CRASH_LOOP_BACKOFF = "crash_loop_backoff"
    DEPLOYMENT_ROLLED_OUT = "deployment_rolled_out"
    DEPLOYMENT_UNCHANGED = "deployment_unchanged"


@dataclass(frozen=True)
class Rule:
    """``signal`` moves the declaring kind by ``weight`` log-odds.

    A ``primary`` rule may create the hypothesis (keyed by the finding's subject); the others only adjust
    existing hypotheses whose culprit agrees with the finding's subject on the ``match`` fields (a
    negative weight is evidence against).

    ``mechanism``: the signal is a way the cause could act (a signature change), not an observed effect; it
    counts nothing when every ``refutes_effect`` rule of the kind matched the hypothesis (the effects it would
    have are measured and absent). ``refutes_effect``: the signal measures the cause's effect as absent.
    """

    signal: Signal
    weight: float
    primary: bool = False
    match: tuple[str, ...] = ()
    mechanism: bool = False
    refutes_effect: bool = False


Mitigation = Callable[[Hypothesis], list[NextAction]]


def no_mitigation(_: Hypothesis) -> list[NextAction]:
    return []


@dataclass(frozen=True)
class CauseKind:
    """One kind of root cause, declared in one place.

    Attributes:
        name: the hypothesis kind (a member of :data:`agents.triage.models.HypothesisKind`).
        key: culprit fields identifying one hypothesis of this kind (all must be set).
        title: format string over the culprit's fields.
        rules: how each signal weighs on this kind.
        symptoms: lower-case words of an alert's name/expression/annotations this cause produces.
        collectors: the collectors (names in :data:`agents.triage.graph.COLLECTORS`) producing its signals.
        mitigation: suggested next actions when this kind is concluded.
        quiet: signals of this kind that are context, never an unexplained anomaly.
    """

    name: str
    key: tuple[str, ...]
    title: str
    rules: tuple[Rule, ...]
    symptoms: tuple[str, ...]
    collectors: tuple[str, ...]
    mitigation: Mitigation = no_mitigation
    quiet: tuple[Signal, ...] = field(default=())
