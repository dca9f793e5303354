"""PrometheusClient and the prometheus.* tools against a real Prometheus loaded with the demo world.

The module fixture backfills the demo world into a Prometheus (rules with ``for: 0s``) wired to a real
Alertmanager whose webhook receiver is a local HTTP server recording what it gets.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from evals.sandbox import processes
from evals.sandbox.prometheus_world import start_alertmanager, start_prometheus
from evals.worlds.schema import World, anchor_now, load_world
from tools.errors import BadInput, SourceTimeout, SourceUnavailable
from tools.prometheus import PrometheusClient, QueryRangeInput, RangeResult, specs

pytestmark = pytest.mark.integration
TOKEN = "sandbox-webhook-token"
ERROR_RATIO = (
    'sum(rate(model_requests_total{model="fraud-scorer",code=~"5.."}[15m]))'
    ' / sum(rate(model_requests_total{model="fraud-scorer"}[15m]))'
)
INCIDENT_ALERTS = {
    "ModelServingErrorRateHigh",
    "FeatureViewStale",
    "ModelPredictionDistributionShift",
    "ModelInputDrift",
    "KubernetesContainerOomKiller",
    "CpuThrottlingHigh",
    "GpuIdleAllocated",
    "KubeJobFailed",
    "ServiceRequestRateAboveBaseline",
    "ServiceLatencyP99High",
    "DependencyLatencyHigh",
    "KubePodCrashLooping",
}


@dataclass
class Sandbox:
    client: PrometheusClient
    world: World
    anchor: datetime
    webhook: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)


def _webhook_server(received: list[tuple[dict[str, str], dict[str, Any]]]) -> ThreadingHTTPServer:
    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            received.append((dict(self.headers), json.loads(body)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    directory = tmp_path_factory.mktemp("prometheus-sandbox")
    world = load_world("demo")
    anchor = anchor_now(world.step)
    received: list[tuple[dict[str, str], dict[str, Any]]] = []
    hook = _webhook_server(received)
    started: list[processes.ServerProcess] = []
    try:
        am = start_alertmanager(directory, f"http://127.0.0.1:{hook.server_port}/alerts", TOKEN)
        started.append(am)
        prom = start_prometheus(world, anchor, directory, alertmanager_port=am.port, alert_for="0s")
        started.append(prom)
        with PrometheusClient(f"http://127.0.0.1:{prom.port}", timeout_s=20) as client:
            yield Sandbox(client, world, anchor, received)
    finally:
        for proc in started:
            processes.stop(proc)
        hook.shutdown()


def _wait(predicate: Any, timeout_s: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(2)
    return predicate()


def test_now_and_future_samples_are_served(sandbox: Sandbox) -> None:
    rollouts = sandbox.world.incidents_of("crash_loop_after_rollout")  # each adds its new ReplicaSet's pod
    n_pods = sum(w.replicas for w in sandbox.world.workloads) + len(rollouts)
    [now] = sandbox.client.query("count(kube_pod_labels)")
    assert now.value == n_pods
    [later] = sandbox.client.query("count(kube_pod_labels)", at=sandbox.anchor + timedelta(hours=11))
    assert later.value == n_pods
    # the head still takes new samples although the backfilled blocks reach past now
    assert _wait(lambda: sandbox.client.query('up{job="prometheus"}'), timeout_s=60)[0].value == 1


def test_cpu_p95_per_workload(sandbox: Sandbox) -> None:
    promql = (
        "max by (namespace, container) (quantile_over_time(0.95, "
        "rate(container_cpu_usage_seconds_total[15m])[14d:15m]))"
    )
    p95 = {s.labels["container"]: s.value for s in sandbox.client.query(promql, at=sandbox.anchor)}
    assert set(p95) == {w.name for w in sandbox.world.workloads}
    assert 1.1 < p95["fraud-scorer-serving"] < 2.2  # mean 1.1 cores, diurnal swing 0.4
    assert p95["label-studio"] < 0.05
    assert p95["risk-gateway"] <= 1.0  # pinned at its 1-core limit, never above


def test_histogram_quantile_of_model_latency_doubles_with_the_bad_version(sandbox: Sandbox) -> None:
    promql = (
        "histogram_quantile(0.99, sum by (le) "
        '(rate(model_request_duration_seconds_bucket{model="fraud-scorer"}[15m])))'
    )
    [before] = sandbox.client.query(promql, at=sandbox.anchor - timedelta(days=1))
    [after] = sandbox.client.query(promql, at=sandbox.anchor)
    assert 0.025 < before.value < 0.1  # p99 42 ms, interpolated inside its bucket
    assert after.value > 1.5 * before.value


def test_fraud_scorer_error_ratio_jumps_at_the_incident_start(sandbox: Sandbox) -> None:
    start = sandbox.anchor - sandbox.world.incidents_of("bad_model_version")[0].start_ago
    tool = {s.name: s for s in specs(sandbox.client)}["prometheus.query_range"]
    args = QueryRangeInput(
        promql=ERROR_RATIO, start=sandbox.anchor - timedelta(hours=8), end=sandbox.anchor, step="5m"
    )
    result = tool.func(args)
    assert isinstance(result, RangeResult)
    [summary] = result.series
    cp = max(summary.change_points, key=lambda c: c.score)
    assert abs((cp.ts - start).total_seconds()) <= 20 * 60
    assert cp.before_mean == pytest.approx(0.002, rel=0.3)
    assert cp.after_mean == pytest.approx(0.024, rel=0.3)


def test_version_label_switches_to_the_bad_version(sandbox: Sandbox) -> None:
    promql = 'sum by (version) (rate(model_requests_total{model="fraud-scorer"}[15m]))'
    assert {s.labels["version"] for s in sandbox.client.query(promql, at=sandbox.anchor)} == {"4"}
    assert {
        s.labels["version"] for s in sandbox.client.query(promql, at=sandbox.anchor - timedelta(hours=5))
    } == {"3"}


def test_validate_uses_the_server_parser(sandbox: Sandbox) -> None:
    assert sandbox.client.validate(ERROR_RATIO).valid
    assert sandbox.client.validate("container_memory_working_set_bytes[1h]").valid
    bad = sandbox.client.validate("sum(rate(container_cpu_usage_seconds_total[5m])")
    assert not bad.valid and bad.error and "parse error" in bad.error
    assert not sandbox.client.validate("rate(container_cpu_usage_seconds_total)").valid
    with pytest.raises(BadInput):
        sandbox.client.query("sum(")


def test_series_labels_metadata_and_buildinfo(sandbox: Sandbox) -> None:
    models = sandbox.client.label_values("model", match="model_requests_total")
    assert set(models) == {m.name for m in sandbox.world.models}
    series = sandbox.client.series(
        'kube_pod_labels{label_app="fraud-scorer-serving"}',
        sandbox.anchor - timedelta(hours=1),
        sandbox.anchor,
    )
    assert len(series) == sandbox.world.workload("fraud-scorer-serving").replicas
    assert sandbox.client.buildinfo()["version"].startswith("2.")
    assert sandbox.client.healthy()
    assert isinstance(sandbox.client.metadata(), dict)


def test_rules_are_healthy_and_incident_alerts_fire(sandbox: Sandbox) -> None:
    groups = sandbox.client.rules(type="alert")
    rules = [r for g in groups for r in g.rules]
    assert {r.name for r in rules} == INCIDENT_ALERTS
    assert all(r.health in {"ok", "unknown"} and r.last_error is None for r in rules)
    assert all(r.annotations["runbook_url"].endswith(f"/runbooks/{r.name}") for r in rules)
    firing = _wait(
        lambda: (
            {a.labels["alertname"] for a in sandbox.client.alerts() if a.state == "firing"} >= INCIDENT_ALERTS
            and sandbox.client.alerts()
        )
    )
    assert {a.labels["alertname"] for a in firing if a.state == "firing"} == INCIDENT_ALERTS


def test_alertmanager_delivers_to_the_webhook_with_bearer(sandbox: Sandbox) -> None:
    def delivered() -> list[dict[str, Any]]:
        return [
            body
            for headers, body in sandbox.webhook
            if any(a["labels"]["alertname"] == "ModelServingErrorRateHigh" for a in body["alerts"])
        ]

    [body, *_] = _wait(delivered, timeout_s=120)
    headers = next(h for h, b in sandbox.webhook if b is body)
    assert headers.get("Authorization") == f"Bearer {TOKEN}"
    assert body["version"] == "4"
    alert = next(a for a in body["alerts"] if a["labels"]["alertname"] == "ModelServingErrorRateHigh")
    assert (
        alert["labels"]["model"] == "fraud-scorer" and alert["labels"]["workload"] == "fraud-scorer-serving"
    )


@pytest.mark.timeout(30)
def test_down_source_is_unavailable() -> None:
    with (
        PrometheusClient(f"http://127.0.0.1:{processes.free_port()}", timeout_s=5) as client,
        pytest.raises(SourceUnavailable),
    ):
        client.query("up")


@pytest.mark.timeout(30)
def test_silent_source_times_out(tmp_path: Path) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)  # accepts connections (kernel backlog) and never answers
        port = server.getsockname()[1]
        with (
            PrometheusClient(f"http://127.0.0.1:{port}", timeout_s=1) as client,
            pytest.raises(SourceTimeout),
        ):
            client.query("up")
