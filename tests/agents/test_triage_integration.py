"""Triage on the real demo sandbox: every incident explained, abstention, and a Prometheus outage."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from agents.deps import AgentDeps
from agents.reports import ReportStore
from agents.triage import TriageReport, run_triage, to_slack_blocks
from evals.worlds import load_world
from evals.worlds.schema import IncidentSpec
from guardrails.gateway import CallContext

pytestmark = pytest.mark.integration

WORLD = load_world("demo")
TEST_KEY = "test-pseudonym-key-0123456789abcdef"


def incident_alert(incident: IncidentSpec, anchor: datetime) -> dict[str, Any]:
    """The Alertmanager alert the incident fires, starting when the incident started."""
    return incident.firing_alert(anchor)


def culprit_named(report: TriageReport, incident: IncidentSpec) -> None:
    top = report.hypotheses[0]
    c = top.culprit
    expected = {
        "bad_model_version": {"model": incident.model, "version": str(incident.version)},
        "stale_feature_view": {"feature_view": incident.feature_view},
        "online_offline_skew": {"feature_view": incident.feature_view, "feature": incident.feature},
        "input_drift": {"model": incident.model, "feature": incident.feature},
        "oom": {"workload": incident.workload},
        "cpu_saturation": {"workload": incident.workload},
        "idle_gpu": {"workload": incident.workload},
        "failed_job": {"workload": incident.workload},
        "traffic_surge": {"workload": incident.workload},
        "degraded_dependency": {"workload": incident.workload, "dependency": incident.dependency},
        "crash_loop_after_rollout": {"workload": incident.workload},
    }[incident.kind]
    assert {k: getattr(c, k) for k in expected} == expected


@pytest.fixture
def triage_deps(agent_deps: Callable[..., AgentDeps]) -> AgentDeps:
    return agent_deps("agent:triage")


@pytest.mark.parametrize("incident", WORLD.incidents, ids=[i.id for i in WORLD.incidents])
def test_each_demo_incident_is_explained(
    incident: IncidentSpec, demo_sandbox: dict[str, Any], runtime: Any, triage_deps: AgentDeps
) -> None:
    anchor = datetime.fromisoformat(demo_sandbox["anchor"])
    store = ReportStore(runtime.db)
    report = run_triage(triage_deps, incident_alert(incident, anchor), store=store)
    assert not report.abstained, report.abstain_reason
    assert report.missing_sources == []
    top = report.hypotheses[0]
    assert top.kind == incident.kind
    culprit_named(report, incident)
    assert top.confidence >= 0.6
    assert all(h.confidence <= top.confidence for h in report.hypotheses)
    ids = {e.id for e in report.evidence}
    assert top.evidence and all(e.id in ids and e.source and e.query for e in top.evidence)
    stored = store.get(report.report_id or "")
    assert stored is not None and stored.kind == "triage"
    assert json.loads(stored.body_json)["hypotheses"][0]["kind"] == incident.kind
    assert incident.alert is not None and incident.alert.alertname in stored.markdown
    assert to_slack_blocks(report)[0]["type"] == "header"


def test_bad_version_suggests_rollback_without_performing_it(
    demo_sandbox: dict[str, Any], runtime: Any, triage_deps: AgentDeps
) -> None:
    incident = next(i for i in WORLD.incidents if i.kind == "bad_model_version")
    anchor = datetime.fromisoformat(demo_sandbox["anchor"])
    report = run_triage(triage_deps, incident_alert(incident, anchor))
    rollback = report.next_actions[0]
    assert rollback.command == f"referent rollback {incident.model}" and rollback.requires_approval
    assert rollback.arguments == {"model": incident.model, "alias": "champion", "version": 3}
    writes = [r for r in runtime.audit.tail(500, run_id=triage_deps.ctx.run_id) if r.action != "read"]
    assert writes == []
    champion = triage_deps.call("mlflow.get_alias", model=incident.model, alias="champion")
    assert champion.data["version"] == incident.version


@pytest.mark.parametrize(
    "alert",
    [
        {
            "labels": {
                "alertname": "KubeContainerHighMemory",
                "namespace": "ml-platform",
                "workload": "mlflow-tracking",
            },
            "annotations": {"summary": "mlflow-tracking memory above 80% of its limit"},
        },
        {
            "labels": {"alertname": "WidgetFrobnicationFailed", "service": "widget-frobnicator"},
            "annotations": {"summary": "frobnication failed"},
        },
    ],
    ids=["healthy-workload", "made-up"],
)
def test_abstains_without_evidence(alert: dict[str, Any], runtime: Any, triage_deps: AgentDeps) -> None:
    report = run_triage(triage_deps, alert)
    assert report.abstained and report.top is None
    assert "bar" in report.abstain_reason
    assert report.next_actions == [] and report.next_checks
    assert all(h.confidence < 0.6 for h in report.hypotheses)


@pytest.fixture
def prometheus_down(demo_sandbox: dict[str, Any], tmp_path: Path) -> Iterator[Any]:
    """A runtime over the sandbox whose Prometheus URL points at a closed port."""
    from evals.sandbox.processes import free_port
    from guardrails.factory import build_runtime
    from guardrails.settings import GuardrailSettings
    from tools.settings import PlatformSettings

    platform = PlatformSettings(
        sandbox_dir=Path(demo_sandbox["dir"]), prometheus_url=f"http://127.0.0.1:{free_port()}"
    )
    rt = build_runtime(GuardrailSettings(state_dir=tmp_path, pseudonym_key=SecretStr(TEST_KEY)), platform)
    try:
        yield rt
    finally:
        rt.close()


@pytest.mark.parametrize("kind", ["bad_model_version", "stale_feature_view"])
def test_prometheus_outage_reported_and_other_sources_answer(
    kind: str, demo_sandbox: dict[str, Any], prometheus_down: Any
) -> None:
    incident = next(i for i in WORLD.incidents if i.kind == kind)
    deps = AgentDeps(
        gateway=prometheus_down.gateway,
        ctx=CallContext(principal="agent:triage", run_id=f"test-{uuid.uuid4().hex[:10]}"),
    )
    report = run_triage(deps, incident_alert(incident, datetime.fromisoformat(demo_sandbox["anchor"])))
    assert report.missing_sources == ["prometheus"]
    assert not report.abstained and report.hypotheses[0].kind == kind
    culprit_named(report, incident)
    assert {e.source for e in report.hypotheses[0].evidence} <= {"mlflow", "feast"}
    assert any("prometheus" in c for c in report.next_checks)


def test_incident_start_estimated_from_the_rule_when_the_alert_has_none(
    demo_sandbox: dict[str, Any], triage_deps: AgentDeps
) -> None:
    incident = next(i for i in WORLD.incidents if i.kind == "bad_model_version")
    alert = incident_alert(incident, datetime.fromisoformat(demo_sandbox["anchor"]))
    del alert["startsAt"]
    report = run_triage(triage_deps, alert)
    started = datetime.fromisoformat(demo_sandbox["anchor"]) - incident.start_ago
    assert report.incident_start is not None
    assert abs((report.incident_start - started).total_seconds()) <= 30 * 60
    assert report.hypotheses[0].kind == "bad_model_version" and not report.abstained
