"""Which alert labels name what: a configurable label map (``REFERENT_TRIAGE_LABELS_*``, JSON lists).

Real alert rules carry the conventions of whatever serves the model: plain ``model`` / ``model_name``,
KServe ``inferenceservice`` / ``predictor``, Seldon ``seldon_deployment``, Kubernetes ``deployment``,
``app``, ``app.kubernetes.io/name`` (``app_kubernetes_io_name`` once Prometheus sanitized it),
kube-state-metrics ``job_name``, the scrape ``job`` (only when nothing else names a workload), and ``namespace`` / ``pod`` / ``container``. :func:`from_labels` reads them in the map's order.
Pods and containers are not workloads: :mod:`agents.triage.resolve` maps them to their owners through
kube-state-metrics owner references.
"""

from __future__ import annotations

import re

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from agents.triage.findings import Targets

_POD_SUFFIX = re.compile(r"-[0-9a-f]{6,10}-[0-9a-z]{1,5}$")


class LabelMap(BaseSettings):
    """Alert label names per target kind, first match first."""

    model_config = SettingsConfigDict(env_prefix="REFERENT_TRIAGE_LABELS_", extra="ignore")

    model: list[str] = Field(
        default=["model", "model_name"], description="labels holding a registered model name"
    )
    serving: list[str] = Field(
        default=["inferenceservice", "seldon_deployment"],
        description="labels naming a model server (KServe, Seldon): its workload, and the model when none is named",
    )
    workload: list[str] = Field(
        default=[
            "workload",
            "deployment",
            "job_name",
            "predictor",
            "app_kubernetes_io_name",
            "app.kubernetes.io/name",
            "app",
            "service",
        ],
        description="labels naming a workload (Deployment, StatefulSet, Job) or its service",
    )
    fallback_workload: list[str] = Field(
        default=["job"], description="labels naming a workload only when no other workload label is set"
    )
    namespace: list[str] = Field(default=["namespace"])
    pod: list[str] = Field(default=["pod"])
    container: list[str] = Field(default=["container"])
    feature_view: list[str] = Field(default=["feature_view"])
    feature: list[str] = Field(default=["feature"])


def _first(labels: dict[str, str], keys: list[str]) -> str | None:
    return next((labels[k] for k in keys if labels.get(k)), None)


def _all(labels: dict[str, str], keys: list[str]) -> list[str]:
    return [labels[k] for k in keys if labels.get(k)]


def from_labels(labels: dict[str, str], label_map: LabelMap | None = None) -> Targets:
    """Targets the alert's labels name directly (pods and containers still to be mapped to owners)."""
    m = label_map or LabelMap()
    model = _first(labels, m.model)
    servers = _all(labels, m.serving)
    workloads = _all(labels, m.workload) + servers
    containers = _all(labels, m.container)
    pods = _all(labels, m.pod)
    if not workloads and not containers and not pods:
        workloads = _all(labels, m.fallback_workload)
    workloads += containers + [_POD_SUFFIX.sub("", p) for p in pods]  # until owners are known
    workloads = list(dict.fromkeys(workloads))
    view, feature = _first(labels, m.feature_view), _first(labels, m.feature)
    direct = [v for v in (model, *servers, view, feature, *workloads) if v]
    return Targets(
        namespace=_first(labels, m.namespace),
        model=model or (servers[0] if servers else None),
        model_direct=bool(model or servers),  # a KServe/Seldon server is named after its model
        workloads=workloads,
        pod_names=list(dict.fromkeys(pods)),
        containers=list(dict.fromkeys(containers)),
        feature_views=[view] if view else [],
        feature=feature,
        direct=list(dict.fromkeys(direct)),
    )
