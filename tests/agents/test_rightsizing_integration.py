"""The rightsizing agent on the demo world (real Prometheus, billing files) through the real gateway."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage
from pydantic import SecretStr

from agents.deps import AgentDeps
from agents.reports import ReportStore
from agents.rightsizing.graph import run_rightsizing
from agents.rightsizing.models import RightsizingReport
from agents.rightsizing.render import to_markdown, to_slack_blocks
from agents.rightsizing.settings import BusinessCalendar
from agents.testing import ScriptedChatModel, tool_call
from guardrails.gateway import CallContext

pytestmark = pytest.mark.integration

KEY = SecretStr("test-pseudonym-key-0123456789abcdef")
NOTEBOOKS = {"jupyter-ana", "jupyter-bruno", "jupyter-carla", "jupyter-gpu-diego"}


def _runtime(state: Path, **platform: Any) -> Any:
    from guardrails.factory import build_runtime
    from guardrails.settings import GuardrailSettings
    from tools.settings import PlatformSettings

    return build_runtime(GuardrailSettings(state_dir=state, pseudonym_key=KEY), PlatformSettings(**platform))


def _deps(rt: Any, chat: Any = None) -> AgentDeps:
    ctx = CallContext(principal="agent:rightsizing", run_id=f"test-{uuid.uuid4().hex[:10]}")
    return AgentDeps(gateway=rt.gateway, ctx=ctx, chat=chat)


@pytest.fixture(scope="module")
def rs_runtime(demo_sandbox: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    rt = _runtime(tmp_path_factory.mktemp("rightsizing"), sandbox_dir=Path(demo_sandbox["dir"]))
    try:
        yield rt
    finally:
        rt.close()


@pytest.fixture(scope="module")
def report(rs_runtime: Any) -> RightsizingReport:
    """One full deterministic run over every workload of the demo world (shared by the tests below).

    The demo world's working hours are São Paulo's: the time zone is a setting (REFERENT_TIMEZONE).
    """
    calendar = BusinessCalendar(timezone="America/Sao_Paulo")
    return run_rightsizing(_deps(rs_runtime), store=ReportStore(rs_runtime.db), calendar=calendar)


def _rec(report: RightsizingReport, name: str) -> Any:
    rec = report.recommendation(name)
    assert rec is not None, f"no recommendation for {name}"
    return rec


def test_every_demo_workload_is_analysed_with_billing_prices(report: RightsizingReport) -> None:
    assert report.totals.workloads == 30
    assert report.pricing.source == "billing" and report.pricing.evidence_ids
    assert report.pricing.cpu_core_hour == pytest.approx(0.0465 * (1 - 0.28), rel=1e-6)
    assert not report.missing_sources
    assert all(r.action != "insufficient_history" and r.confidence_days > 10 for r in report.recommendations)


@pytest.mark.parametrize("name", ["ledger-writer"])
def test_over_provisioned_workloads_get_cuts(report: RightsizingReport, name: str) -> None:
    rec = _rec(report, name)
    assert rec.action == "cut"
    assert rec.cpu.recommended < rec.cpu.current / 1.5
    assert rec.memory_gib.recommended < rec.memory_gib.current / 2
    assert rec.memory_gib.recommended >= rec.memory_gib.peak * 1.15 - 0.01
    assert rec.cpu.bounds.lower <= rec.cpu.recommended <= rec.cpu.bounds.upper + 0.05
    assert rec.monthly_savings > 0 and rec.evidence_ids


def test_daily_batch_peak_is_not_cut_below_its_raw_p99(report: RightsizingReport) -> None:
    # the world's batch peaks at 6.5 cores (x 0.9-1.0) for 3-10 five-minute samples a day (1-3 %)
    rec = _rec(report, "fraud-batch-scoring")
    assert rec.cpu.recommended >= 0.9 * 6.5
    assert rec.cpu.recommended < rec.cpu.current  # still a cut from 8 cores, not through the peak
    assert "daily peak" in rec.reason and rec.cpu.note
    assert rec.cpu.peak >= 0.9 * 6.5  # the raw peak, not a 15-minute average of it


def test_oom_workload_is_never_cut_below_its_peak_and_gets_a_bump(report: RightsizingReport) -> None:
    rec = _rec(report, "chargeback-batch-scoring")
    assert rec.oom_events >= 1
    assert rec.memory_gib.peak == pytest.approx(16.0, rel=0.01)
    assert rec.memory_gib.recommended >= rec.memory_gib.peak * 1.2
    assert rec.memory_gib.recommended > rec.memory_gib.current
    assert any(c.startswith("memory bump 16 → ") for c in rec.changes)
    assert rec.action == ("resize" if rec.cpu.recommended < rec.cpu.current else "bump")
    assert rec.risk == "high" and "OOM" in rec.reason


def test_every_value_lies_within_its_bounds_or_says_why(report: RightsizingReport) -> None:
    for rec in report.recommendations:
        for value in (rec.cpu, rec.memory_gib):
            assert value is not None and value.bounds is not None
            inside = value.bounds.lower - 1e-9 <= value.recommended <= value.bounds.upper + 1e-9
            assert inside or value.note, (rec.workload, value)


def test_throttled_gateway_cpu_is_not_cut(report: RightsizingReport) -> None:
    rec = _rec(report, "risk-gateway")
    assert rec.cpu.recommended > rec.cpu.current
    assert "throttled" in rec.reason


def test_idle_gpu_is_flagged_with_savings_from_billing(report: RightsizingReport) -> None:
    rec = _rec(report, "fraud-retrain-gpu")
    assert rec.gpu.current == 1 and rec.gpu.recommended == 0
    gpu = [d for d in report.decommission if d.kind == "gpu"]
    assert [d.workload for d in gpu] == ["fraud-retrain-gpu"]
    expected = report.pricing.gpu_hour["A10G"] * 730
    assert report.pricing.gpu_hour["A10G"] == pytest.approx(1.212 * 0.72, rel=1e-6)
    assert gpu[0].monthly_savings == pytest.approx(expected, abs=0.01) == rec.savings.decommission
    for busy in ("chargeback-retrain-gpu", "embedding-trainer", "jupyter-gpu-diego"):
        assert _rec(report, busy).gpu.recommended == _rec(report, busy).gpu.current


def test_notebooks_get_off_hours_schedules(report: RightsizingReport) -> None:
    by_name = {s.workload: s for s in report.schedules}
    assert set(by_name) == NOTEBOOKS
    for s in by_name.values():
        assert s.timezone == "America/Sao_Paulo"
        assert s.scale_down_cron.endswith("* * 1-5") and s.off_hours_share > 0.5
        assert s.idle_usage < 0.1 * s.busy_usage and s.monthly_savings > 0
        assert _rec(report, s.workload).savings.schedule == s.monthly_savings


def test_decommission_candidates(report: RightsizingReport) -> None:
    workloads = {d.workload for d in report.decommission if d.kind == "workload"}
    assert workloads == {"model-explainer-legacy", "label-studio"}
    for name in workloads:
        rec = _rec(report, name)
        assert rec.action == "decommission" and rec.monthly_savings == rec.current_monthly_cost > 0
    versions = [d for d in report.decommission if d.kind == "model_version"]
    assert all(d.workload.endswith("-serving") for d in versions)


def test_savings_add_up(report: RightsizingReport) -> None:
    t, recs = report.totals, report.recommendations
    assert t.monthly_savings == pytest.approx(sum(r.monthly_savings for r in recs), abs=0.011)
    assert t.monthly_savings == pytest.approx(t.rightsize + t.schedule + t.decommission, abs=0.011)
    for r in recs:
        assert r.monthly_savings == pytest.approx(r.savings.total, abs=0.001)
    assert t.schedule == pytest.approx(sum(s.monthly_savings for s in report.schedules), abs=0.011)
    assert t.decommission == pytest.approx(sum(d.monthly_savings for d in report.decommission), abs=0.011)
    assert 0 < t.monthly_savings < t.current_monthly_cost


def test_report_is_persisted_and_renders(report: RightsizingReport, rs_runtime: Any) -> None:
    stored = ReportStore(rs_runtime.db).get(report.report_id or "")
    assert stored is not None and stored.kind == "rightsizing"
    assert RightsizingReport.model_validate_json(stored.body_json).totals == report.totals
    md = to_markdown(report)
    for section in (
        "## Recommendations",
        "## Off-hours schedules",
        "## Decommission candidates",
        "fraud-retrain-gpu",
    ):
        assert section in md
    blocks = to_slack_blocks(report)
    assert blocks[0]["type"] == "header" and json.dumps(blocks)


def test_billing_outage_falls_back_to_list_prices_and_says_so(
    demo_sandbox: dict[str, Any], tmp_path: Path
) -> None:
    rt = _runtime(tmp_path, prometheus_url=demo_sandbox["prometheus_url"])
    try:
        rep = run_rightsizing(_deps(rt), workload="ledger-writer", window_days=3)
    finally:
        rt.close()
    assert [r.workload for r in rep.recommendations] == ["ledger-writer"]
    assert rep.pricing.source == "list_prices" and "billing" in rep.missing_sources
    assert any("list prices" in n for n in rep.notes)
    assert rep.recommendations[0].confidence_days < 4


def test_llm_review_drops_claims_citing_unknown_evidence(rs_runtime: Any) -> None:
    def submit(messages: list[Any]) -> AIMessage:
        return AIMessage(
            content="",
            tool_calls=[
                {
                    "name": "submit",
                    "id": "s1",
                    "args": {
                        "summary": "ledger-writer is the safest large cut",
                        "claims": [
                            {
                                "workload": "ledger-writer",
                                "text": "CPU P95 far below request",
                                "evidence_ids": ["E1"],
                            },
                            {"workload": "ledger-writer", "text": "made up", "evidence_ids": ["E999"]},
                        ],
                    },
                }
            ],
        )

    chat = ScriptedChatModel(script=[tool_call("prometheus.query", {"promql": "sum(up)"}), submit])
    rep = run_rightsizing(_deps(rs_runtime, chat=chat), workload="ledger-writer", window_days=2)
    assert rep.mode == "llm" and rep.summary == "ledger-writer is the safest large cut"
    assert rep.dropped_claims == 1
    assert any("CPU P95 far below request" in n for n in rep.notes)
    assert "ledger-writer" in chat.prompts_text()
