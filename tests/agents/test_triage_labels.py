"""Label conventions: the label map (pure), and owner references on a real Prometheus (not the demo world).

The world: a model server ``scorer`` (Deployment, container ``server``, 2 replicas, model ``risk-score``)
and a nightly batch Job ``nightly`` (container ``main``) that is OOMKilled, both in ``risk``: in neither
is the container named like its workload.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from agents.deps import AgentDeps
from agents.triage import run_triage
from agents.triage.alert import normalize_alert
from agents.triage.collectors.base import CollectorContext
from agents.triage.findings import Targets
from agents.triage.graph import make_window
from agents.triage.labels import LabelMap, from_labels
from agents.triage.resolve import resolve
from guardrails.gateway import CallContext


@pytest.mark.parametrize(
    ("labels", "model", "workloads"),
    [
        ({"model_name": "risk-score"}, "risk-score", []),
        ({"inferenceservice": "risk-score"}, "risk-score", ["risk-score"]),
        ({"inferenceservice": "risk-score", "predictor": "risk-score-predictor"}, "risk-score", ["risk-score-predictor", "risk-score"]),
        ({"seldon_deployment": "fraud-sdep", "model": "fraud"}, "fraud", ["fraud-sdep"]),
        ({"deployment": "scorer"}, None, ["scorer"]),
        ({"app": "scorer"}, None, ["scorer"]),
        ({"app_kubernetes_io_name": "scorer"}, None, ["scorer"]),
        ({"app.kubernetes.io/name": "scorer"}, None, ["scorer"]),
        ({"job": "nightly"}, None, ["nightly"]),
        ({"job": "kubernetes-pods", "deployment": "scorer"}, None, ["scorer"]),  # job only as a fallback
        ({"pod": "scorer-6d4cf56db6-x2x9q"}, None, ["scorer"]),  # until owner references say otherwise
        ({"container": "server", "namespace": "risk"}, None, ["server"]),
    ],
)  # fmt: skip
def test_label_conventions(labels: dict[str, str], model: str | None, workloads: list[str]) -> None:
    t = from_labels(labels)
    assert (t.model, t.workloads) == (model, workloads)
    assert t.model_direct == bool(model)
    assert set(t.direct) == {v for v in (model, *workloads) if v}


def test_the_label_map_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    labels = {"ml_model": "risk-score", "svc": "scorer"}
    assert from_labels(labels).model is None
    custom = LabelMap(model=["ml_model"], workload=["svc"])
    assert (from_labels(labels, custom).model, from_labels(labels, custom).workloads) == (
        "risk-score",
        ["scorer"],
    )
    monkeypatch.setenv("REFERENT_TRIAGE_LABELS_MODEL", '["ml_model"]')
    assert from_labels(labels).model == "risk-score"


_USAGE = {"cpu_usage": {"mean": 0.3, "diurnal": 0.1}, "mem_usage_gib": {"mean": 1.0, "diurnal": 0.05}}
WORLD: dict[str, Any] = {
    "name": "triage-labels",
    "history": "2d",
    "models": [{"name": "risk-score", "serving_workload": "scorer", "versions": [{"version": 1, "created_ago": "5d"}]}],
    "workloads": [
        {"name": "scorer", "namespace": "risk", "kind": "serving", "model": "risk-score", "container": "server",
         "replicas": 2, "cpu_request": 1, "cpu_limit": 2, "mem_request_gib": 2, "mem_limit_gib": 4,
         "traffic_rps": 20, "latency_p99_ms": 50, "error_rate": 0.001, **_USAGE},
        {"name": "nightly", "namespace": "risk", "kind": "batch", "container": "main",
         "cpu_request": 2, "cpu_limit": 2, "mem_request_gib": 4, "mem_limit_gib": 4, **_USAGE},
    ],
    "incidents": [{"id": "nightly-oom", "kind": "oom", "workload": "nightly", "start_ago": "2h"}],
}  # fmt: skip


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, running_world: Any) -> Iterator[Any]:
    with running_world(WORLD, tmp_path_factory.mktemp("labels-world")) as running:
        yield running


def _deps(env: Any) -> AgentDeps:
    return AgentDeps(
        gateway=env.runtime.gateway, ctx=CallContext("agent:triage", run_id=f"lbl-{uuid.uuid4().hex[:8]}")
    )


def _resolve(env: Any, labels: dict[str, str]) -> Targets:
    alert = normalize_alert({"alertname": "X", "labels": labels, "startsAt": env.anchor.isoformat()})
    cx = CollectorContext(
        _deps(env), alert, from_labels(alert.labels), make_window(env.anchor, alert.starts_at)
    )
    return resolve(cx)


def _pods(env: Any, workload: str) -> list[str]:
    from evals.sandbox.prometheus_world.workloads import pod_names

    return pod_names(env.world, env.world.workload(workload))


@pytest.mark.integration
def test_a_pod_resolves_to_its_deployment_through_the_replicaset(env: Any) -> None:
    t = _resolve(env, {"pod": _pods(env, "scorer")[1], "namespace": "risk"})
    assert t.workloads == ["scorer"] and sorted(t.pods["scorer"]) == sorted(_pods(env, "scorer"))
    assert t.model == "risk-score" and t.model_services == ["scorer"]


@pytest.mark.integration
def test_a_container_is_not_assumed_to_be_the_workload(env: Any) -> None:
    t = _resolve(env, {"container": "server", "namespace": "risk"})
    assert t.workloads == ["scorer"] and "server" not in t.workloads
    job = _resolve(env, {"container": "main", "namespace": "risk"})
    assert job.workloads == ["nightly"] and job.pods["nightly"] == _pods(env, "nightly")


@pytest.mark.integration
def test_kserve_and_deployment_labels(env: Any) -> None:
    t = _resolve(env, {"inferenceservice": "risk-score", "namespace": "risk"})
    assert t.model == "risk-score" and "scorer" in t.services
    d = _resolve(env, {"deployment": "scorer", "namespace": "risk"})
    assert sorted(d.pods["scorer"]) == sorted(_pods(env, "scorer")) and d.model == "risk-score"


@pytest.mark.integration
def test_a_namespace_only_alert_searches_its_models_and_workloads(env: Any) -> None:
    t = _resolve(env, {"namespace": "risk"})
    assert set(t.workloads) == {"scorer", "nightly"} and t.model == "risk-score"
    assert any("names only namespace risk" in n for n in t.notes)


@pytest.mark.integration
def test_oom_found_by_pod_when_the_container_is_named_otherwise(env: Any) -> None:
    pod = _pods(env, "nightly")[0]
    alert = {
        "labels": {
            "alertname": "KubernetesContainerOomKiller",
            "namespace": "risk",
            "pod": pod,
            "container": "main",
        },
        "annotations": {"summary": "container OOMKilled"},
        "startsAt": (env.anchor - env.world.incidents[0].start_ago).isoformat(),
    }
    report = run_triage(_deps(env), alert)
    top = report.top
    assert top is not None, report.abstain_reason
    assert (top.kind, top.culprit.workload) == ("oom", "nightly")
