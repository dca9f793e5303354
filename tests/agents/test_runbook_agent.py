"""The runbook agent on the 954 real rules: four sections, every promql block accepted by promtool."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from pydantic import SecretStr

from agents.deps import AgentDeps
from agents.runbook.graph import run_runbooks
from agents.runbook.promql import analyze
from agents.runbook.render import to_markdown
from agents.runbook.rules import RuleFileError, load_rules, pick
from guardrails.factory import build_runtime
from guardrails.gateway import CallContext
from guardrails.settings import GuardrailSettings
from tools.promtool import Promtool
from tools.settings import PlatformSettings

RULES = Path(__file__).resolve().parents[2] / "evals" / "data" / "alert-rules" / "awesome-prometheus-alerts"
SECTIONS = ("## Meaning", "## Impact", "## Diagnosis", "## Mitigation")


@pytest.fixture
def deps(tmp_path):
    rt = build_runtime(
        GuardrailSettings(state_dir=tmp_path, pseudonym_key=SecretStr("k" * 24), redaction_nlp=False),
        # correctness, not speed: promtool's batch over 954 rules gets room on a loaded 2-core machine
        PlatformSettings(runbooks_dir=tmp_path / "library", tool_timeout_s=60),
    )
    yield AgentDeps(gateway=rt.gateway, ctx=CallContext("agent:runbook", f"rb-{uuid.uuid4().hex[:8]}"))
    rt.close()


def test_analyze_splits_threshold_and_finds_metrics():
    shape = analyze('sum by (namespace) (rate(x_total{a="b"}[5m])) / sum by (namespace) (y) > 0.9')
    assert shape.comparison == ">" and shape.threshold == 0.9
    assert (
        shape.metrics == ["x_total", "y"]
        and shape.grouping == ["namespace"]
        and shape.counters == ["x_total"]
    )
    assert "> 0.9" not in shape.signal
    with pytest.raises(ValueError):
        analyze("rate(x[5m]) >")


def test_bad_rule_files(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("not: rules\n")
    with pytest.raises(RuleFileError):
        load_rules(bad)
    rules = load_rules(RULES / "kubernetes" / "kubestate-exporter.yml")
    with pytest.raises(RuleFileError, match="no alert named"):
        pick(rules, "Nope")


def test_every_real_rule_gets_a_valid_runbook(deps):
    rules = [r for f in sorted(RULES.rglob("*.yml")) for r in load_rules(f, allow_empty=True)]
    assert len(rules) == 954
    batch = run_runbooks(deps, rules, store=False, server_check=False)
    assert len(batch.runbooks) == 954 and not batch.errors
    blocks: list[str] = []
    for rb in batch.runbooks:
        md = to_markdown(rb)
        assert all(s in md for s in SECTIONS), rb.alert
        found = re.findall(r"```promql\n(.*?)\n```", md, re.S)
        assert found, rb.alert
        # no invented metrics: every metric a query uses is in the rule
        rule_metrics = set(analyze(next(r.expr for r in rules if r.alert == rb.alert)).metrics)
        for q in found:
            assert set(analyze(q).metrics) <= rule_metrics, (rb.alert, q)
        blocks += found
    assert all(c.valid for c in Promtool().check_queries(sorted(set(blocks))))


def test_runbook_is_stored_and_findable(deps, tmp_path):
    rules = pick(load_rules(RULES / "kubernetes" / "kubestate-exporter.yml"), "KubernetesNodeNotReady")
    batch = run_runbooks(deps, rules, store=True, server_check=False)
    assert batch.runbooks[0].url and batch.runbooks[0].url.endswith("/runbooks/KubernetesNodeNotReady")
    found = deps.call("runbooks.find", alert="KubernetesNodeNotReady").data
    assert found["sections"] == ["Meaning", "Impact", "Diagnosis", "Mitigation"]
    assert found["front_matter"]["severity"] == "critical"


@pytest.mark.integration
def test_ml_rule_uses_metrics_of_the_target_prometheus(agent_deps):
    rules_file = Path(__file__).resolve().parents[2] / "evals" / "sandbox" / "rules" / "ml-platform.rules.yml"
    rules = pick(load_rules(rules_file), "ModelServingErrorRateHigh")
    deps = agent_deps("agent:runbook")
    batch = run_runbooks(deps, rules, store=False)
    rb = batch.runbooks[0]
    assert rb.ml_component and any("version" in q.promql for q in rb.diagnosis)
    names = set(deps.call("prometheus.labels", label="__name__", limit=2000).data["items"])
    for q in rb.diagnosis:
        assert set(analyze(q.promql).metrics) <= names | set(analyze(rules[0].expr).metrics)


@pytest.mark.integration
def test_runbook_from_a_resolved_incident(agent_deps):
    import json

    from agents.runbook.incident import runbook_from_incident
    from agents.triage import triage_payload

    scenario = (
        Path(__file__).resolve().parents[2] / "evals" / "scenarios" / "triage" / "fraud-bad-version.json"
    )
    [report] = triage_payload(agent_deps("agent:triage"), json.loads(scenario.read_text()))
    deps = agent_deps("agent:runbook")
    rb = runbook_from_incident(deps, report, ["mlflow.set_alias champion→3 (approved by user:ml-lead)"])
    md = to_markdown(rb)
    assert all(s in md for s in SECTIONS) and rb.front_matter["from_incident"] == report.run_id
    assert rb.diagnosis and all(q.evidence_id for q in rb.diagnosis)
    assert all(c.valid for c in Promtool().check_queries([q.promql for q in rb.diagnosis]))
    assert "rollback" in md.lower() and "approved by user:ml-lead" in md
