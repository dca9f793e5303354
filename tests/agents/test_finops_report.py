"""FinOps report: SVG charts, Markdown/HTML, Slack delivery to a local recorder, and a run on the demo world."""

from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from agents.finops import charts
from agents.finops.models import ComputeCost, DailyCost, FinOpsReport, Mover, ProviderCost, WaterfallStep
from agents.finops.render import to_html, to_markdown
from agents.finops.slack import post_report
from agents.rightsizing.models import RightsizingTotals
from evals.sandbox.slack_recorder import SlackRecorder

SVG = "{http://www.w3.org/2000/svg}"


def _report() -> FinOpsReport:
    start = date(2026, 11, 1)
    return FinOpsReport(
        run_id="run-1",
        generated_at=datetime(2026, 11, 27, tzinfo=UTC),
        providers=[
            ProviderCost(provider="AWS", currency="USD", billed_cost=100, effective_cost=90, list_cost=120),
            ProviderCost(provider="Microsoft", currency="USD", billed_cost=2, effective_cost=2, list_cost=2),
        ],
        daily=[DailyCost(day=start + timedelta(days=i), cost=10 + i) for i in range(10)],
        movers=[
            Mover(key="AWS Data Transfer", previous=20, current=50),
            Mover(key="S3", previous=5, current=4),
        ],
        rightsizing_totals=RightsizingTotals(
            current_monthly_cost=1000, rightsize=300, schedule=100, decommission=50, monthly_savings=450
        ),
        waterfall=[
            WaterfallStep(label="current run-rate", value=1000, kind="total"),
            WaterfallStep(label="rightsizing", value=-300, kind="delta"),
            WaterfallStep(label="off-hours schedules", value=-100, kind="delta"),
            WaterfallStep(label="decommission", value=-50, kind="delta"),
            WaterfallStep(label="projected", value=550, kind="total"),
        ],
        price_source="billing",
    )


def test_charts_are_well_formed_svg():
    for svg in (
        charts.line_chart([("2026-11-01", 1.0), ("2026-11-02", 3.0)], "trend"),
        charts.diverging_bars([("a", 5.0), ("b", -2.0)], "movers"),
        charts.waterfall([("now", 10.0, "total"), ("cut", -4.0, "delta"), ("after", 6.0, "total")], "fall"),
        charts.line_chart([], "empty"),
    ):
        root = ET.fromstring(svg)
        assert root.tag == f"{SVG}svg"


def test_waterfall_bars_float_from_the_running_total():
    root = ET.fromstring(
        charts.waterfall([("now", 10.0, "total"), ("cut", -4.0, "delta"), ("after", 6.0, "total")], "f")
    )
    heights = [float(r.get("height", 0)) for r in root.iter(f"{SVG}rect")]
    assert heights[0] == pytest.approx(heights[1] + heights[2], rel=0.02)  # 10 = 4 + 6


def test_html_has_the_three_charts_and_markdown_the_totals():
    report = _report()
    html = to_html(report)
    assert html.count("<svg") == 3
    for title in ("Effective cost per day", "Top movers", "savings waterfall"):
        assert title in html
    md = to_markdown(report)
    assert "| AWS | USD |" in md and "| Microsoft | USD |" in md
    assert "+30.00" in md and "450.00 USD" in md


def test_markdown_has_the_compute_cost_by_resource() -> None:
    report = _report()
    report.compute = [
        ComputeCost(
            resource="gpu",
            gpu_model="A10G",
            currency="USD",
            quantity=720,
            effective_cost=628.3,
            unit_cost=0.8726,
        ),
        ComputeCost(resource="cpu", currency="USD", quantity=5000, effective_cost=167.4, unit_cost=0.03348),
    ]
    md = to_markdown(report)
    assert "## Compute cost by resource" in md
    assert "| gpu A10G | 720.0 GPU-h | 628.30 USD | 0.8726 USD/GPU-h |" in md
    assert "| cpu | 5,000.0 vCPU-h |" in md


def test_finops_report_is_posted_through_the_gateway(tmp_path: Path) -> None:
    from agents.deps import AgentDeps
    from guardrails.factory import build_runtime
    from guardrails.gateway import CallContext
    from guardrails.settings import GuardrailSettings
    from tools.settings import PlatformSettings

    report = _report()
    report.report_id = "finops-abc123"
    with SlackRecorder(token="xoxb-test-token") as recorder:
        rt = build_runtime(
            GuardrailSettings(state_dir=tmp_path, pseudonym_key=SecretStr("k" * 24), redaction_nlp=False),
            PlatformSettings(slack_bot_token=SecretStr("xoxb-test-token"), slack_api_url=recorder.api_url),
            sources=("slack",),
        )
        try:
            deps = AgentDeps(gateway=rt.gateway, ctx=CallContext("agent:rightsizing", "finops-post"))
            sent = post_report(deps, report, "C0FINOPS", "http://referent.test/")
            audited = [r for r in rt.audit.tail(50) if r.tool == "slack.post_message"]
        finally:
            rt.close()
        [post] = recorder.requests("chat.postMessage")
    assert sent["channel"] == "C0FINOPS" and sent["ts"]
    body = post["body"]
    assert body["channel"] == "C0FINOPS" and "450.00 USD" in body["text"]
    assert "http://referent.test/finops/reports/finops-abc123" in body["text"]
    blocks = json.loads(body["blocks"]) if isinstance(body["blocks"], str) else body["blocks"]
    assert blocks[0]["type"] == "header" and "finops/reports/finops-abc123" in json.dumps(blocks[-1])
    assert [(r.principal, r.outcome) for r in audited] == [("agent:rightsizing", "ok")]


@pytest.mark.integration
def test_finops_report_on_the_demo_world(demo_sandbox: dict[str, Any], tmp_path: Path) -> None:
    from agents.deps import AgentDeps
    from agents.finops.report import run_finops_report
    from agents.reports import ReportStore
    from guardrails.factory import build_runtime
    from guardrails.gateway import CallContext
    from guardrails.settings import GuardrailSettings
    from tools.settings import PlatformSettings

    rt = build_runtime(
        GuardrailSettings(state_dir=tmp_path, pseudonym_key=SecretStr("test-pseudonym-key-0123456789abcdef")),
        PlatformSettings(sandbox_dir=Path(demo_sandbox["dir"])),
    )
    try:
        deps = AgentDeps(
            gateway=rt.gateway,
            ctx=CallContext(principal="agent:rightsizing", run_id=f"t-{uuid.uuid4().hex[:8]}"),
        )
        report = run_finops_report(deps, store=ReportStore(rt.db), namespace="ds-notebooks")
        stored = ReportStore(rt.db).get(report.report_id or "")
    finally:
        rt.close()
    assert {p.provider for p in report.providers} >= {
        "AWS",
        "Microsoft",
        "Oracle",
    }  # the real FOCUS sample too
    assert len(report.daily) == 30 and all(d.cost > 0 for d in report.daily)
    assert report.movers[0].key == "AWS Data Transfer" and report.movers[0].delta > 0
    assert any(a.key == "AWS Data Transfer" for a in report.anomalies)
    t = report.rightsizing_totals
    assert [s.value for s in report.waterfall] == pytest.approx(
        [
            t.current_monthly_cost,
            -t.rightsize,
            -t.schedule,
            -t.decommission,
            t.current_monthly_cost - t.monthly_savings,
        ]
    )
    assert {s.workload for s in report.schedules} == {
        "jupyter-ana",
        "jupyter-bruno",
        "jupyter-carla",
        "jupyter-gpu-diego",
    }
    assert report.top_recommendations and report.top_recommendations[0].monthly_savings > 0
    assert stored is not None and stored.kind == "finops"
    assert to_html(report).count("<svg") == 3
    # compute cost per resource, classified by billing from FOCUS columns (GPU-hours per model)
    gpu = {c.gpu_model: c for c in report.compute if c.resource == "gpu"}
    assert {"A10G", "T4"} <= set(gpu) and all(c.unit_cost and c.unit_cost > 0 for c in gpu.values())
    assert {"cpu", "memory"} <= {c.resource for c in report.compute}
    assert "## Compute cost by resource" in to_markdown(report)
