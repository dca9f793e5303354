"""More fault kinds on a real Prometheus world that is not the demo: a failed feature-pipeline Job.

The world: a feature pipeline ``fp-applicant`` (a Job) whose last run failed 2 h ago, next to a healthy
nightly batch Job and a model server in the same namespace.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from pydantic import SecretStr

from agents.deps import AgentDeps
from agents.triage import run_triage
from evals.worlds.schema import World, anchor_now
from guardrails.gateway import CallContext

pytestmark = pytest.mark.integration

_USAGE = {"cpu_usage": {"mean": 0.3, "diurnal": 0.1}, "mem_usage_gib": {"mean": 1.0, "diurnal": 0.05}}
_RES = {"cpu_request": 1, "cpu_limit": 2, "mem_request_gib": 2, "mem_limit_gib": 4}
WORLD: dict[str, Any] = {
    "name": "triage-fault-kinds",
    "history": "2d",
    "workloads": [
        {"name": "fp-applicant", "namespace": "features", "kind": "feature-pipeline", **_RES, **_USAGE},
        {"name": "nightly-batch", "namespace": "features", "kind": "batch", **_RES, **_USAGE},
        {"name": "api", "namespace": "features", "kind": "service", "traffic_rps": 5, "latency_p99_ms": 40, **_RES, **_USAGE},
    ],
    "incidents": [{"id": "fp-failed", "kind": "failed_job", "workload": "fp-applicant", "start_ago": "2h"}],
}  # fmt: skip


@dataclass
class Env:
    runtime: Any
    world: World
    anchor: datetime


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    from evals.sandbox import processes
    from evals.sandbox.prometheus_world import start_prometheus
    from guardrails.factory import build_runtime
    from guardrails.settings import GuardrailSettings
    from tools.settings import PlatformSettings

    directory = tmp_path_factory.mktemp("fault-kinds-world")
    world = World.model_validate(WORLD)
    anchor = anchor_now(world.step)
    prom = start_prometheus(world, anchor, directory)
    runtime = build_runtime(
        GuardrailSettings(state_dir=directory / "state", pseudonym_key=SecretStr("k" * 32)),
        PlatformSettings(prometheus_url=f"http://127.0.0.1:{prom.port}"),
    )
    try:
        yield Env(runtime, world, anchor)
    finally:
        runtime.close()
        processes.stop(prom)


def _triage(env: Env, alertname: str, labels: dict[str, str], start_ago_h: float = 2) -> Any:
    from datetime import timedelta

    ctx = CallContext("agent:triage", run_id=f"fk-{uuid.uuid4().hex[:8]}")
    alert = {
        "labels": {"alertname": alertname, **labels},
        "annotations": {"summary": alertname},
        "startsAt": (env.anchor - timedelta(hours=start_ago_h)).isoformat(),
    }
    return run_triage(AgentDeps(gateway=env.runtime.gateway, ctx=ctx), alert)


def test_a_failed_pipeline_job_is_the_cause(env: Env) -> None:
    report = _triage(env, "KubeJobFailed", {"namespace": "features", "job_name": "fp-applicant"})
    top = report.top
    assert top is not None, report.abstain_reason
    assert (top.kind, top.culprit.workload, top.culprit.namespace) == (
        "failed_job",
        "fp-applicant",
        "features",
    )
    assert "job_failed" in {c.signal for c in top.contributions} and top.evidence
    assert any(a.command and "job/fp-applicant" in a.command for a in report.next_actions)


def test_a_healthy_job_is_not_blamed(env: Env) -> None:
    report = _triage(env, "KubeJobFailed", {"namespace": "features", "job_name": "nightly-batch"})
    assert report.abstained and not any(h.kind == "failed_job" for h in report.hypotheses)


def test_a_namespace_alert_finds_the_failed_job(env: Env) -> None:
    report = _triage(env, "FeaturePipelineFailing", {"namespace": "features"})
    top = report.top
    assert top is not None and (top.kind, top.culprit.workload) == ("failed_job", "fp-applicant")
