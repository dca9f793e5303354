"""Traffic surge, degraded dependency and crash loop after a rollout, on a real Prometheus and MLflow
world that is not the demo (other names, namespaces, label conventions and magnitudes).

The world (4 days of history, a stock registry without the alias-history tag):

* ``merchant-risk-api`` (model ``merchant-risk``, container ``server``): a harmless approved deploy
  (v2, same inputs) took the traffic 3 h ago; 1 h ago a card-testing burst sent it 5x its usual
  requests, pinning its CPU and slowing it — the surge must outrank the deploy and the CPU saturation;
* ``limit-scorer-predictor`` (KServe ``inferenceservice: limit-scorer``, OpenTelemetry client metrics
  ``http_client_request_duration_seconds{server_address}``): its downstream ``bureau-api`` got ~10x
  slower with timeouts 1 h ago, its ``feast-feature-server`` lookups stayed healthy;
* ``txn-enricher`` (namespace ``streaming``): a rollout 45 min ago crash-loops in its new ReplicaSet;
  ``txn-router`` next to it runs steadily;
* ``notify-api``: nothing wrong (its daily ramp is not a surge).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from agents.deps import AgentDeps
from agents.triage import TriageReport, run_triage
from guardrails.gateway import CallContext

pytestmark = pytest.mark.integration

_SIG = [{"name": "mcc", "type": "string"}, {"name": "amount", "type": "double"}]
_OUT = [{"name": "p", "type": "double"}]
_USAGE = {"cpu_usage": {"mean": 0.5, "diurnal": 0.1}, "mem_usage_gib": {"mean": 1.0, "diurnal": 0.05}}
_RES = {"cpu_request": 1, "cpu_limit": 2, "mem_request_gib": 2, "mem_limit_gib": 4}
_APPROVED = {"approval": "approved"}


def _model(name: str, workload: str, deploy_ago: str | None = None) -> dict[str, Any]:
    versions = [{"version": 1, "created_ago": "30d", "tags": _APPROVED, "inputs": _SIG, "outputs": _OUT}]
    history = [{"alias": "champion", "version": 1, "ago": "30d"}]
    if deploy_ago:
        versions.append(
            {"version": 2, "created_ago": "5h", "tags": _APPROVED, "inputs": _SIG, "outputs": _OUT}
        )
        history.append({"alias": "champion", "version": 2, "ago": deploy_ago})
    return {"name": name, "serving_workload": workload, "versions": versions, "alias_history": history}


WORLD: dict[str, Any] = {
    "name": "triage-more-fault-kinds",
    "history": "4d",
    "seed": 4242,
    "alias_history_tag": False,
    "models": [
        _model("merchant-risk", "merchant-risk-api", deploy_ago="3h"),
        _model("limit-scorer", "limit-scorer-predictor"),
    ],
    "workloads": [
        {"name": "merchant-risk-api", "namespace": "decisioning", "kind": "serving", "model": "merchant-risk",
         "container": "server", "replicas": 2, "traffic_rps": 60, "latency_p99_ms": 45, "error_rate": 0.002,
         **_RES, **_USAGE},
        {"name": "limit-scorer-predictor", "namespace": "decisioning", "kind": "serving", "model": "limit-scorer",
         "container": "kserve-container", "traffic_rps": 25, "latency_p99_ms": 80, "error_rate": 0.001,
         "dependencies": ["feast-feature-server", "bureau-api"], "client_metrics": "opentelemetry",
         **_RES, **_USAGE},
        {"name": "notify-api", "namespace": "decisioning", "kind": "service", "traffic_rps": 15,
         "latency_p99_ms": 30, **_RES, **_USAGE},
        {"name": "txn-enricher", "namespace": "streaming", "kind": "service", "replicas": 2, "traffic_rps": 8,
         "latency_p99_ms": 20, **_RES, **_USAGE},
        {"name": "txn-router", "namespace": "streaming", "kind": "service", "traffic_rps": 8,
         "latency_p99_ms": 20, **_RES, **_USAGE},
    ],
    "incidents": [
        {"id": "card-testing", "kind": "traffic_surge", "workload": "merchant-risk-api", "start_ago": "1h",
         "magnitude": 5},
        {"id": "bureau-slow", "kind": "degraded_dependency", "workload": "limit-scorer-predictor",
         "dependency": "bureau-api", "start_ago": "1h"},
        {"id": "enricher-rollout", "kind": "crash_loop_after_rollout", "workload": "txn-enricher",
         "start_ago": "45m"},
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, running_world: Any) -> Iterator[Any]:
    with running_world(WORLD, tmp_path_factory.mktemp("more-fault-kinds"), mlflow=True) as running:
        yield running


def _triage(env: Any, alertname: str, labels: dict[str, str], start_ago: timedelta) -> TriageReport:
    ctx = CallContext("agent:triage", run_id=f"mfk-{uuid.uuid4().hex[:8]}")
    alert = {
        "labels": {"alertname": alertname, **labels},
        "annotations": {"summary": alertname},
        "startsAt": (env.anchor - start_ago).isoformat(),
    }
    return run_triage(AgentDeps(gateway=env.runtime.gateway, ctx=ctx), alert)


def _rank(report: TriageReport, kind: str) -> int:
    return next(i for i, h in enumerate(report.hypotheses) if h.kind == kind)


def test_a_surge_outranks_the_harmless_deploy_and_the_latency(env: Any) -> None:
    report = _triage(
        env,
        "InferenceLatencyHigh",
        {"namespace": "decisioning", "app_kubernetes_io_name": "merchant-risk-api"},
        timedelta(hours=1),
    )
    top = report.top
    assert top is not None, report.abstain_reason
    assert (top.kind, top.culprit.workload) == ("traffic_surge", "merchant-risk-api")
    assert "traffic_above_baseline" in {c.signal for c in top.contributions}
    bad = [h for h in report.hypotheses if h.kind == "bad_model_version"]
    assert all(h.confidence < 0.6 for h in bad)
    assert any(a.command and "scale deployment/merchant-risk-api" in a.command for a in report.next_actions)


def test_a_surge_outranks_the_cpu_saturation_it_causes(env: Any) -> None:
    report = _triage(
        env,
        "CPUThrottlingHigh",
        {"namespace": "decisioning", "deployment": "merchant-risk-api", "container": "server"},
        timedelta(hours=1),
    )
    top = report.top
    assert top is not None and (top.kind, top.culprit.workload) == ("traffic_surge", "merchant-risk-api")
    assert _rank(report, "cpu_saturation") > 0  # the saturation is seen, as an effect
    cpu = report.hypotheses[_rank(report, "cpu_saturation")]
    assert "traffic_above_baseline" in {c.signal for c in cpu.contributions if c.weight < 0}


def test_a_daily_ramp_is_not_a_surge(env: Any) -> None:
    report = _triage(
        env, "InferenceLatencyHigh", {"namespace": "decisioning", "service": "notify-api"}, timedelta(hours=1)
    )
    assert not any(h.kind == "traffic_surge" for h in report.hypotheses)
    assert report.abstained


def test_a_slow_downstream_is_the_cause_of_the_predictor_latency(env: Any) -> None:
    report = _triage(
        env,
        "PredictorLatencyHigh",
        {"namespace": "decisioning", "inferenceservice": "limit-scorer"},
        timedelta(hours=1),
    )
    top = report.top
    assert top is not None, report.abstain_reason
    assert (top.kind, top.culprit.workload, top.culprit.dependency) == (
        "degraded_dependency",
        "limit-scorer-predictor",
        "bureau-api",
    )
    assert {"dependency_latency_up", "serving_latency_up"} <= {c.signal for c in top.contributions}
    assert not any(h.culprit.dependency == "feast-feature-server" for h in report.hypotheses)
    assert any("bureau-api" in a.title for a in report.next_actions)


def test_a_crash_loop_after_a_rollout_found_from_the_pod(env: Any) -> None:
    from evals.sandbox.prometheus_world.workloads import rollout_pod_name

    pod = rollout_pod_name(env.world, "txn-enricher", "enricher-rollout")
    report = _triage(
        env, "KubePodCrashLooping", {"namespace": "streaming", "pod": pod}, timedelta(minutes=45)
    )
    top = report.top
    assert top is not None, report.abstain_reason
    assert (top.kind, top.culprit.workload, top.culprit.namespace) == (
        "crash_loop_after_rollout",
        "txn-enricher",
        "streaming",
    )
    assert {"crash_loop_backoff", "deployment_rolled_out"} <= {c.signal for c in top.contributions}
    undo = [
        a
        for a in report.next_actions
        if a.command == "kubectl rollout undo deployment/txn-enricher -n streaming"
    ]
    assert undo and undo[0].requires_approval


def test_a_namespace_alert_finds_the_crash_loop_and_spares_the_steady_deployment(env: Any) -> None:
    report = _triage(env, "KubeDeploymentRolloutStuck", {"namespace": "streaming"}, timedelta(minutes=45))
    top = report.top
    assert top is not None and (top.kind, top.culprit.workload) == (
        "crash_loop_after_rollout",
        "txn-enricher",
    )
    assert not any(h.culprit.workload == "txn-router" for h in report.hypotheses)
