"""More fault kinds on a real Prometheus world that is not the demo: a failed feature-pipeline Job.

The world: a feature pipeline ``fp-applicant`` (a Job) whose last run failed 2 h ago, next to a healthy
nightly batch Job and a model server in the same namespace.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from agents.deps import AgentDeps
from agents.triage import run_triage
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


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, running_world: Any) -> Iterator[Any]:
    with running_world(WORLD, tmp_path_factory.mktemp("fault-kinds-world")) as running:
        yield running


def _triage(env: Any, alertname: str, labels: dict[str, str], start_ago_h: float = 2) -> Any:
    from datetime import timedelta

    ctx = CallContext("agent:triage", run_id=f"fk-{uuid.uuid4().hex[:8]}")
    alert = {
        "labels": {"alertname": alertname, **labels},
        "annotations": {"summary": alertname},
        "startsAt": (env.anchor - timedelta(hours=start_ago_h)).isoformat(),
    }
    return run_triage(AgentDeps(gateway=env.runtime.gateway, ctx=ctx), alert)


def test_a_failed_pipeline_job_is_the_cause(env: Any) -> None:
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


def test_a_healthy_job_is_not_blamed(env: Any) -> None:
    report = _triage(env, "KubeJobFailed", {"namespace": "features", "job_name": "nightly-batch"})
    assert report.abstained and not any(h.kind == "failed_job" for h in report.hypotheses)


def test_a_namespace_alert_finds_the_failed_job(env: Any) -> None:
    report = _triage(env, "FeaturePipelineFailing", {"namespace": "features"})
    top = report.top
    assert top is not None and (top.kind, top.culprit.workload) == ("failed_job", "fp-applicant")
