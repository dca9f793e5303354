"""Diagnosis PromQL derived from the rule's own expression and labels.

Every query uses only metrics that appear in the rule, plus — for ML components — metrics the target
Prometheus is known to have (passed in as ``available``). Validity is decided afterwards by promtool /
the server; candidates they reject are dropped and reported.
"""

from __future__ import annotations

from agents.runbook.models import AlertRule, DiagnosisQuery
from agents.runbook.promql import IDENTITY_LABELS, ExprShape, selector

ML_LABELS = {"model", "feature_view", "feature", "model_version"}
# what makes a rule a model-quality rule: it watches model serving or feature metrics, or the rule
# itself names a model or feature view. GPU (DCGM) and MLflow-server metrics are infrastructure.
ML_PREFIXES = ("model_", "feast_")

# (metric the check needs, title, PromQL with the model's selectors {match} / {errors}, why) — in report order
_MODEL_CHECKS: tuple[tuple[str, str, str, str], ...] = (
    (
        "model_requests_total",
        "Error ratio per model version",
        "sum by (model, version) (rate(model_requests_total{errors}[5m])) / "
        "sum by (model, version) (rate(model_requests_total{match}[5m]))",
        "a jump that starts with a new version label points at the deployed model version",
    ),
    (
        "model_request_duration_seconds_bucket",
        "p99 latency per model version",
        "histogram_quantile(0.99, sum by (model, version, le) "
        "(rate(model_request_duration_seconds_bucket{match}[5m])))",
        "latency regressions per version",
    ),
    (
        "model_feature_psi",
        "Input drift (PSI) per feature",
        "max by (model, feature) (model_feature_psi{match})",
        "PSI above 0.2 is material drift of that feature's distribution",
    ),
    (
        "model_prediction_psi",
        "Prediction drift (PSI)",
        "max by (model) (model_prediction_psi{match})",
        "score distribution shift: drift, skew or a bad version",
    ),
)


def is_ml_component(rule: AlertRule, shape: ExprShape) -> bool:
    """Whether the rule watches a model (serving, drift, features) rather than infrastructure.

    Decided by what it watches: a metric of model serving or of the feature store, or a ``model`` /
    ``feature_view`` label the rule itself sets. A ``model`` matcher on another system's metric (an LLM
    proxy's spend) does not make it a model-quality rule.
    """
    return bool(set(rule.labels) & ML_LABELS) or any(m.startswith(ML_PREFIXES) for m in shape.metrics)


def _by(labels: list[str]) -> str:
    return f" by ({', '.join(labels)})" if labels else ""


def affected_labels(shape: ExprShape) -> list[str]:
    """Labels that identify what is affected: the rule's grouping, else identity labels it filters on."""
    if shape.grouping:
        return shape.grouping[:4]
    seen = [lbl for m in shape.matchers.values() for lbl in m if lbl in IDENTITY_LABELS]
    return list(dict.fromkeys(seen))[:3]


def _threshold_queries(shape: ExprShape) -> list[DiagnosisQuery]:
    """The signal without its threshold: its distance to the bound, its 6h peak and its change over a day."""
    bound = f"{shape.comparison} {shape.threshold:g}" if shape.threshold is not None else shape.comparison
    return [
        DiagnosisQuery(
            title="The signal without its threshold",
            promql=shape.signal,
            why=f"how far each series is from the threshold ({bound}), including those not yet firing",
        ),
        DiagnosisQuery(
            title="Peak of the signal over the last 6 hours",
            promql=f"max_over_time(({shape.signal})[6h:5m])",
            why="whether this is a spike or a sustained level",
        ),
        DiagnosisQuery(
            title="Change against the same time yesterday",
            promql=f"({shape.signal}) - ({shape.signal} offset 1d)",
            why="a sudden change points at a deploy or an incident; no change points at capacity or a threshold",
        ),
    ]


def _metric_query(metric: str, shape: ExprShape) -> DiagnosisQuery:
    """A counter's per-target rate, or which targets still export a gauge."""
    sel = selector(metric, shape.matchers.get(metric, {}))
    if metric in shape.counters:
        return DiagnosisQuery(
            title=f"Rate of {metric}",
            promql=f"sum by (job, instance) (rate({sel}[5m]))",
            why=f"{metric} is a counter: its per-second rate per target",
        )
    return DiagnosisQuery(
        title=f"Targets exporting {metric}",
        promql=f"count by (job, instance) ({sel})",
        why="whether the exporter still reports the metric (a missing target looks like recovery)",
    )


def rule_queries(rule: AlertRule, shape: ExprShape) -> list[DiagnosisQuery]:
    """Queries over the rule's own metrics."""
    queries = [
        DiagnosisQuery(
            title="Series breaching the alert condition now",
            promql=shape.expr,
            why="the alert's own expression: each result is one firing series",
        )
    ]
    if shape.comparison and shape.signal != shape.expr:
        queries += _threshold_queries(shape)
    labels = affected_labels(shape)
    if labels:
        queries.append(
            DiagnosisQuery(
                title=f"Affected {', '.join(labels)}",
                promql=f"count{_by(labels)} ({shape.expr})",
                why="the blast radius: how many series breach, per " + ", ".join(labels),
            )
        )
    queries += [_metric_query(metric, shape) for metric in shape.metrics[:3]]
    return queries


def _feature_age_query(view: str | None) -> DiagnosisQuery:
    """Seconds since the feature view (all views when None) was last materialized."""
    vsel = f'{{feature_view="{view}"}}' if view else ""
    return DiagnosisQuery(
        title="Feature view age (seconds since last materialization)",
        promql=f"time() - feast_feature_view_last_materialization_timestamp_seconds{vsel}",
        why="stale features silently degrade model quality",
    )


def ml_queries(rule: AlertRule, available: set[str]) -> list[DiagnosisQuery]:
    """ML-specific checks, only over metrics the target Prometheus has."""
    model = rule.labels.get("model")
    match = f'{{model="{model}"}}' if model else ""
    errors = f'{{model="{model}",code=~"5.."}}' if model else '{code=~"5.."}'
    out = [
        DiagnosisQuery(title=title, promql=promql.format(match=match, errors=errors), why=why)
        for metric, title, promql, why in _MODEL_CHECKS
        if metric in available
    ]
    if "feast_feature_view_last_materialization_timestamp_seconds" in available:
        out.append(_feature_age_query(rule.labels.get("feature_view")))
    return out


def ml_steps(rule: AlertRule) -> list[str]:
    model = rule.labels.get("model", "<model>")
    view = rule.labels.get("feature_view", "<feature view>")
    return [
        f"Check what changed in the MLflow registry for `{model}` in the last 6 hours (alias moves, new "
        f"versions): `referent triage --alert <payload>` gathers it, or MLflow UI → Models → {model} → Aliases.",
        f"Check Feast freshness and online/offline parity for the features of `{model}` "
        f"(feature view `{view}`): last materialization versus TTL and schedule.",
        "Compare input drift (PSI per feature) with the alert start: drift that starts with a deploy is the "
        "deploy; drift without a deploy is the traffic.",
    ]
