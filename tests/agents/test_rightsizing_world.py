"""Rightsizing on a world that is not the demo, on a real Prometheus and its FOCUS billing.

The world: a nightly batch whose CPU peaks every day for 15-50 minutes (1-3 % of the samples), a steady
over-provisioned API, and a GPU trainer busy for ten days and idle for the last four (an ``idle_gpu``
incident), on a 14-day history in UTC.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from agents.deps import AgentDeps
from agents.evidence import EvidenceLedger
from agents.rightsizing.analysis import analyse
from agents.rightsizing.collectors import UsageCollector, collect_pricing
from agents.rightsizing.graph import run_rightsizing
from agents.rightsizing.models import RightsizingReport
from agents.rightsizing.recommend import build_recommendation
from agents.rightsizing.render import to_markdown
from agents.rightsizing.usage import WorkloadUsage
from evals.worlds.schema import World, anchor_now
from guardrails.gateway import CallContext

pytestmark = pytest.mark.integration

PEAK = 5.0  # cores the nightly batch reaches (x 0.9-1.0) every day
WORLD = {
    "name": "rightsizing-peaks",
    "history": "14d",
    "workloads": [
        {
            "name": "nightly-batch",
            "namespace": "risk-batch",
            "kind": "batch",
            "cpu_request": 6,
            "cpu_limit": 8,
            "mem_request_gib": 8,
            "mem_limit_gib": 8,
            "cpu_usage": {"mean": 0.5, "diurnal": 0.1, "peak": PEAK},
            "mem_usage_gib": {"mean": 2.0, "diurnal": 0.05},
        },
        {
            "name": "steady-api",
            "namespace": "risk-api",
            "kind": "service",
            "replicas": 2,
            "cpu_request": 4,
            "cpu_limit": 4,
            "mem_request_gib": 4,
            "mem_limit_gib": 4,
            "cpu_usage": {"mean": 0.4, "diurnal": 0.2},
            "mem_usage_gib": {"mean": 1.0, "diurnal": 0.05},
            "traffic_rps": 20,
        },
        {
            "name": "trainer-gpu",
            "namespace": "ml-training",
            "kind": "training",
            "env": "dev",
            "cpu_request": 4,
            "cpu_limit": 4,
            "mem_request_gib": 16,
            "mem_limit_gib": 16,
            "gpus": 1,
            "gpu_type": "nvidia-a10g",
            "cpu_usage": {"mean": 2.0, "diurnal": 0.2},
            "mem_usage_gib": {"mean": 10.0, "diurnal": 0.05},
            "gpu_util_pct": {"mean": 70, "diurnal": 0.2},
        },
    ],
    "incidents": [{"id": "gpu-went-idle", "kind": "idle_gpu", "workload": "trainer-gpu", "start_ago": "4d"}],
    "billing": {"days": 14, "include_sample": False},
}


@dataclass
class Env:
    runtime: Any
    world: World


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    from evals.sandbox import processes
    from evals.sandbox.billing_world import write_billing
    from evals.sandbox.prometheus_world import start_prometheus
    from guardrails.factory import build_runtime
    from guardrails.settings import GuardrailSettings
    from tools.settings import PlatformSettings

    directory = tmp_path_factory.mktemp("rs-world")
    world = World.model_validate(WORLD)
    anchor = anchor_now(world.step)
    billing = write_billing(world, anchor, directory / "billing")
    prom = start_prometheus(world, anchor, directory)
    runtime = build_runtime(
        GuardrailSettings(state_dir=directory / "state", pseudonym_key=SecretStr("k" * 32)),
        PlatformSettings(prometheus_url=f"http://127.0.0.1:{prom.port}", billing_path=str(billing)),
    )
    try:
        yield Env(runtime, world)
    finally:
        runtime.close()
        processes.stop(prom)


def _deps(env: Env) -> AgentDeps:
    ctx = CallContext(principal="agent:rightsizing", run_id=f"rs-world-{uuid.uuid4().hex[:8]}")
    return AgentDeps(gateway=env.runtime.gateway, ctx=ctx)


@pytest.fixture(scope="module")
def report(env: Env) -> RightsizingReport:
    return run_rightsizing(_deps(env))


@pytest.fixture(scope="module")
def usages(env: Env) -> dict[str, WorkloadUsage]:
    collector = UsageCollector(_deps(env), EvidenceLedger())
    return {u.workload: u for u in collector.collect()}


def test_prices_come_from_the_worlds_focus_billing(report: RightsizingReport, env: Env) -> None:
    b = env.world.billing
    assert report.pricing.source == "billing"
    assert report.pricing.cpu_core_hour == pytest.approx(
        b.cpu_core_hour * (1 - b.effective_discount), rel=1e-6
    )
    assert report.pricing.gpu_hour["A10G"] == pytest.approx(
        b.gpu_hour["nvidia-a10g"] * (1 - b.effective_discount), rel=1e-6
    )


def test_daily_peak_gets_no_cut_below_its_raw_p99(
    report: RightsizingReport, usages: dict[str, WorkloadUsage]
) -> None:
    u = usages["nightly-batch"]
    assert u.cpu_p99 is not None and u.cpu_p99 >= 0.9 * PEAK  # the raw rate sees the peak
    assert u.cpu_peak is not None and u.cpu_peak >= 0.9 * PEAK
    assert all(d.raw_max is not None for d in u.cpu_days)
    rec = report.recommendation("nightly-batch")
    assert rec is not None and rec.cpu is not None
    assert rec.cpu.recommended >= u.cpu_p99 - 0.01  # the same P99 the report's own run read
    assert rec.cpu.recommended < rec.cpu.current
    assert "daily peak" in rec.reason and rec.cpu.note
    # the counterfactual: without the rule, the smoothed P95 estimator cuts through the peak
    assert report.pricing is not None
    blind = build_recommendation(u, report.pricing, peak_share=1.01)
    assert blind.cpu is not None and blind.cpu.recommended < 0.5 * PEAK


def test_a_steady_workload_is_still_cut(report: RightsizingReport) -> None:
    rec = report.recommendation("steady-api")
    assert rec is not None and rec.cpu is not None and rec.action == "cut"
    assert rec.cpu.recommended < 1.5 and "daily peak" not in rec.reason
    assert rec.confidence_level == "high" and rec.changes[0].startswith("CPU cut 4 → ")


def test_gpu_busy_before_and_idle_for_the_recent_days_is_flagged(
    report: RightsizingReport, usages: dict[str, WorkloadUsage]
) -> None:
    u = usages["trainer-gpu"]
    assert u.gpu_max is not None and u.gpu_max > 50  # busy earlier in the window
    assert u.gpu_recent_max is not None and u.gpu_recent_max < 5
    rec = report.recommendation("trainer-gpu")
    assert rec is not None and rec.gpu is not None and rec.gpu.recommended == 0
    assert "last 3 days" in rec.reason and "busy earlier" in rec.reason
    assert [d.workload for d in report.decommission if d.kind == "gpu"] == ["trainer-gpu"]


def test_the_report_reads_right(report: RightsizingReport) -> None:
    md = to_markdown(report)
    assert "| high 1.00 |" in md and " d |" not in md.split("## Recommendations")[1].split("### Why")[0]
    for rec in report.recommendations:
        for value in (rec.cpu, rec.memory_gib):
            assert value is not None and value.bounds is not None
            inside = value.bounds.lower - 1e-9 <= value.recommended <= value.bounds.upper + 1e-9
            assert inside or value.note, (rec.workload, value)


def test_analysis_is_reproducible_from_the_collected_usage(
    env: Env, usages: dict[str, WorkloadUsage]
) -> None:
    deps = _deps(env)
    pricing = collect_pricing(deps, EvidenceLedger())
    again = analyse(list(usages.values()), pricing, run_id="r", now=datetime.now(UTC), window_days=14)
    rec = again.recommendation("nightly-batch")
    assert rec is not None and "daily peak" in rec.reason
    assert Path(env.runtime.settings.state_dir).exists()


def test_the_recent_gpu_window_is_a_setting(env: Env) -> None:
    from agents.rightsizing.settings import RightsizingSettings

    # idle for 4 days: a 5-day window still sees the busy day, so the GPU is kept
    report = run_rightsizing(
        _deps(env), workload="trainer-gpu", settings=RightsizingSettings(gpu_recent_days=5)
    )
    rec = report.recommendation("trainer-gpu")
    assert rec is not None and rec.gpu is not None and rec.gpu.recommended == 1
    assert not [d for d in report.decommission if d.kind == "gpu"]
