"""Which alert labels name what: a configurable label map (``REFERENT_TRIAGE_LABELS_*``, JSON lists).

Real alert rules carry the conventions of whatever serves the model: plain ``model`` / ``model_name``,
KServe ``inferenceservice`` / ``predictor``, Seldon ``seldon_deployment``, Kubernetes ``deployment``,
``app``, ``app.kubernetes.io/name`` (``app_kubernetes_io_name`` once Prometheus sanitized it),
kube-state-metrics ``job_name``, the scrape ``job`` (only when nothing else names a workload), and ``namespace`` / ``pod`` / ``container``. :func:`from_labels` reads them in the map's order.
Pods and containers are not workloads: :mod:`agents.triage.resolve` maps them to their owners through
kube-state-metrics owner references. The ``dependency*`` fields say how client-side metrics of a
workload's calls to its dependencies (feature store, downstream services) name the dependency, the
caller and the call's outcome: the defaults cover a plain ``dependency``/``upstream``/``target`` label,
OpenTelemetry's ``http_client_request_duration_seconds{server_address, http_response_status_code}`` and
go-grpc-prometheus's ``grpc_client_handling_seconds{grpc_service, grpc_code}``.
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
    # client-side metrics of the calls a workload makes to its dependencies (collector: dependencies)
    dependency: list[str] = Field(
        default=["dependency", "upstream", "target", "server_address", "peer_service", "grpc_service"],
        description="labels naming the called dependency on client-side metrics (first set wins)",
    )
    dependency_caller: list[str] = Field(
        default=["service", "service_name", "job"],
        description="labels naming the calling service on client-side dependency metrics",
    )
    dependency_status: list[str] = Field(
        default=["code", "status_code", "http_response_status_code", "grpc_code", "outcome"],
        description="labels holding the outcome of a dependency call",
    )
    dependency_error_values: str = Field(
        default="5..|error|failure|timeout|Unavailable|DeadlineExceeded|UNAVAILABLE|DEADLINE_EXCEEDED",
        description="regex of the status values that count as a failed call",
    )
    dependency_histograms: list[str] = Field(
        default=[
            "dependency_request_duration_seconds",
            "http_client_request_duration_seconds",
            "grpc_client_handling_seconds",
        ],
        description="client-side latency histograms of dependency calls (base names, without _bucket)",
    )


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
