"""A scenario written by someone else, in the format evals/README.md documents, runs without a code change:
a new suite directory (one scenario per agent the harness drives), a baseline for it, and the gate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evals.harness.evaluate import evaluate
from evals.harness.runner import RunOptions

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "evals" / "scenarios" / "triage"

SCENARIOS = {
    # triage: the alert a world incident fires, seen under another platform's label convention
    "gpu-idle-relabelled.yaml": """
id: contrib-gpu-idle-relabelled
agent: triage
world: demo
description: the idle-GPU incident, labelled the way a platform using `deployment` does
trigger:
  incident: INC-idle-gpu
  relabel: {workload: deployment}
  annotations: {owner_note: "paged by the contributor's test"}
expected:
  from_incident: INC-idle-gpu
tags: [contributed]
""",
    # triage: a payload file next to nothing in the suite (absolute path), nothing wrong → abstain
    "healthy.yaml": f"""
id: contrib-healthy
agent: triage
world: demo
trigger:
  alert_file: {ALERTS / "healthy-mlflow-tracking.json"}
expected:
  abstain: true
""",
    "promotion.yaml": """
id: contrib-promote-fraud-v4
agent: promotion
world: demo
trigger: {model: fraud-scorer, version: "4", target: production, dry_run: true}
expected:
  decision: block
  failed_gates: [canary_slo, environment_order, metrics, no_open_incident, signature, tags]
  freshness_from_world: true
""",
    "rightsizing.yaml": """
id: contrib-rightsize-ml-batch
agent: rightsizing
world: demo
trigger: {namespace: ml-batch}
expected: {needs_from_world: true}
""",
    "runbook.yaml": """
id: contrib-runbook-one-file
agent: runbook
world: none
trigger: {rule_file: rules/queue.yml}
expected: {rules: 2}
""",
}

RULES = """
groups:
  - name: queue
    rules:
      - alert: QueueConsumerLagHigh
        expr: sum by (consumergroup) (kafka_consumergroup_lag) > 10000
        for: 5m
        labels: {severity: warning}
      - alert: QueueBrokerDown
        expr: count(kafka_brokers) < 3
        labels: {severity: critical}
"""


@pytest.mark.integration
def test_a_contributed_suite_runs_and_passes_its_gate(demo_sandbox: dict[str, Any], tmp_path: Path) -> None:
    suite = tmp_path / "contributed"
    (suite / "rules").mkdir(parents=True)
    (suite / "rules" / "queue.yml").write_text(RULES)  # not *.yaml: not read as a scenario
    for name, text in SCENARIOS.items():
        (suite / name).write_text(text)
    baseline = tmp_path / "baseline.json"
    tracked = {"pass_rate": {"value": 1.0, "tolerance": 0.0, "higher_is_better": True}}
    baseline.write_text(json.dumps({"suites": {"contributed": {"metrics": tracked}}}))
    options = RunOptions(world_dirs={"demo": Path(demo_sandbox["dir"])}, progress=lambda _: None)
    result = evaluate(suite, options, report_dir=tmp_path / "report", baseline=baseline)
    verdicts = {r["id"]: (r["passed"], r["scores"].get("why"), r["error"]) for r in result.rows}
    assert result.gate == [] and all(v[0] for v in verdicts.values()), verdicts
    assert {r["agent"] for r in result.rows} == {"triage", "promotion", "rightsizing", "runbook"}
    assert {r["fault_kind"] for r in result.rows} >= {"idle_gpu", "abstain", "runbook"}
    assert "contrib-runbook-one-file" in (tmp_path / "report" / "report.md").read_text()
