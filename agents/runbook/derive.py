"""Diagnosis PromQL derived from the rule's own expression and labels.

Every query uses only metrics that appear in the rule, plus — for ML components — metrics the target
Prometheus is known to have (passed in as ``available``). Validity is decided afterwards by promtool /
the server; candidates they reject are dropped and reported.
"""

from __future__ import annotations

from agents.runbook.models import AlertRule, DiagnosisQuery
from agents.runbook.promql import IDENTITY_LABELS, ExprShape, selector

ML_LABELS = {"model", "feature_view", "feature", "model_version"}
ML_PREFIXES = ("model_", "feast_", "DCGM_", "mlflow_")


def is_ml_component(rule: AlertRule, shape: ExprShape) -> bool:
    labels = set(rule.labels) | {lbl for m in shape.matchers.values() for lbl in m} | set(shape.grouping)
    return bool(labels & ML_LABELS) or any(m.startswith(ML_PREFIXES) for m in shape.metrics)


def _by(labels: list[str]) -> str:
    return f" by ({', '.join(labels)})" if labels else ""


def affected_labels(shape: ExprShape) -> list[str]:
    """Labels that identify what is affected: the rule's grouping, else identity labels it filters on."""
    if shape.grouping:
        return shape.grouping[:4]
    seen = [lbl for m in shape.matchers.values() for lbl in m if lbl in IDENTITY_LABELS]
    return list(dict.fromkeys(seen))[:3]


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
        bound = f"{shape.comparison} {shape.threshold:g}" if shape.threshold is not None else shape.comparison
        queries.append(
            DiagnosisQuery(
                title="The signal without its threshold",
                promql=shape.signal,
                why=f"how far each series is from the threshold ({bound}), including those not yet firing",
            )
        )
        queries.append(
            DiagnosisQuery(
                title="Peak of the signal over the last 6 hours",
                promql=f"max_over_time(({shape.signal})[6h:5m])",
                why="whether this is a spike or a sustained level",
            )
        )
        queries.append(
            DiagnosisQuery(
                title="Change against the same time yesterday",
                promql=f"({shape.signal}) - ({shape.signal} offset 1d)",
                why="a sudden change points at a deploy or an incident; no change points at capacity or a threshold",
            )
        )
    labels = affected_labels(shape)
    if labels:
        queries.append(
            DiagnosisQuery(
                title=f"Affected {', '.join(labels)}",
                promql=f"count{_by(labels)} ({shape.expr})",
                why="the blast radius: how many series breach, per " + ", ".join(labels),
            )
        )
    for metric in shape.metrics[:3]:
        sel = selector(metric, shape.matchers.get(metric, {}))
        if metric in shape.counters:
            queries.append(
                DiagnosisQuery(
                    title=f"Rate of {metric}",
                    promql=f"sum by (job, instance) (rate({sel}[5m]))",
                    why=f"{metric} is a counter: its per-second rate per target",
                )
            )
        else:
            queries.append(
                DiagnosisQuery(
                    title=f"Targets exporting {metric}",
                    promql=f"count by (job, instance) ({sel})",
                    why="whether the exporter still reports the metric (a missing target looks like recovery)",
                )
            )
    return queries


def ml_queries(rule: AlertRule, available: set[str]) -> list[DiagnosisQuery]:
    """ML-specific checks, only over metrics the target Prometheus has."""
    model = rule.labels.get("model")
    match = f'{{model="{model}"}}' if model else ""
    out: list[DiagnosisQuery] = []
    if "model_requests_total" in available:
        err_sel = f'{{model="{model}",code=~"5.."}}' if model else '{code=~"5.."}'
        out.append(
            DiagnosisQuery(
                title="Error ratio per model version",
                promql=(
                    f"sum by (model, version) (rate(model_requests_total{err_sel}[5m])) / "
                    f"sum by (model, version) (rate(model_requests_total{match}[5m]))"
                ),
                why="a jump that starts with a new version label points at the deployed model version",
            )
        )
    if "model_request_duration_seconds_bucket" in available:
        out.append(
            DiagnosisQuery(
                title="p99 latency per model version",
                promql=(
                    "histogram_quantile(0.99, sum by (model, version, le) "
                    f"(rate(model_request_duration_seconds_bucket{match}[5m])))"
                ),
                why="latency regressions per version",
            )
        )
    if "model_feature_psi" in available:
        out.append(
            DiagnosisQuery(
                title="Input drift (PSI) per feature",
                promql=f"max by (model, feature) (model_feature_psi{match})",
                why="PSI above 0.2 is material drift of that feature's distribution",
            )
        )
    if "model_prediction_psi" in available:
        out.append(
            DiagnosisQuery(
                title="Prediction drift (PSI)",
                promql=f"max by (model) (model_prediction_psi{match})",
                why="score distribution shift: drift, skew or a bad version",
            )
        )
    if "feast_feature_view_last_materialization_timestamp_seconds" in available:
        view = rule.labels.get("feature_view")
        vsel = f'{{feature_view="{view}"}}' if view else ""
        out.append(
            DiagnosisQuery(
                title="Feature view age (seconds since last materialization)",
                promql=f"time() - feast_feature_view_last_materialization_timestamp_seconds{vsel}",
                why="stale features silently degrade model quality",
            )
        )
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
