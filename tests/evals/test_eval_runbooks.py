"""The runbook suite kind: a scenario over a rule file or a directory of them, scored per rule with
promtool (and the target Prometheus), counted by exporter; failures named by rule; breaking the agent's
sections or its query validation fails the scenario and the gate."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from evals.harness import gate
from evals.harness.evaluate import check_gate, evaluate
from evals.harness.runner import RunOptions
from evals.harness.scenario import RunbookExpected, load_scenario
from evals.scorers import runbook

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "evals" / "data" / "alert-rules" / "awesome-prometheus-alerts"
SUITE = ROOT / "evals" / "suites" / "runbooks-rules"

# another platform's rules, written here: none of these names appear in the agent or the demo world
OWN_RULES = """
groups:
  - name: payments-edge
    rules:
      - alert: CheckoutP99LatencyHigh
        expr: >-
          histogram_quantile(0.99, sum by (le, route)
          (rate(http_server_request_duration_seconds_bucket{service="checkout"}[5m]))) > 1.5
        for: 10m
        labels: {severity: critical, team: payments-edge}
        annotations: {summary: "checkout p99 above 1.5 s on {{ $labels.route }}"}
      - alert: LedgerQueueBacklog
        expr: sum by (queue) (rabbitmq_queue_messages_ready{vhost="ledger"}) > 5000
        for: 15m
        labels: {severity: warning}
      - alert: SettlementWorkerDown
        expr: up{job="settlement-worker"} == 0
        labels: {severity: critical}
"""


def _suite(tmp_path: Path, expected: str = "{rules: 4}") -> Path:
    """A rules directory with two exporters (one written here, one real) and a scenario over it."""
    rules = tmp_path / "rules"
    (rules / "payments").mkdir(parents=True)
    (rules / "payments" / "edge-rules.yaml").write_text(OWN_RULES)
    (rules / "patroni").mkdir()
    shutil.copy(REAL / "patroni" / "embedded-exporter-patroni.yml", rules / "patroni")
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "all.yaml").write_text(
        "id: all-rules\nagent: runbook\nworld: none\n"
        f"trigger: {{rule_file: ../rules}}\nexpected: {expected}\n"
    )
    return suite


def _run(suite: Path, report: Path | None = None) -> Any:
    return evaluate(suite, RunOptions(progress=lambda _: None), report_dir=report)


def test_a_rules_directory_is_scored_per_rule_and_by_exporter(tmp_path: Path) -> None:
    result = _run(_suite(tmp_path), tmp_path / "report")
    (row,) = result.rows
    counts = row["scores"]["runbook"]
    assert row["passed"] and row["scores"]["score"] == 100, row["scores"]["why"]
    assert counts["rules"] == counts["runbooks"] == counts["four_sections"] == counts["with_queries"] == 4
    assert counts["queries"] == counts["queries_ok"] > 4 and counts["queries_failing"] == 0
    exporters = counts["by_exporter"]
    assert sorted(exporters) == ["patroni/embedded-exporter-patroni", "payments/edge-rules"]
    assert [(e["rules"], e["ok"], e["queries_failing"]) for e in exporters.values()] == [(1, 1, 0), (3, 3, 0)]
    assert sum(e["queries"] for e in exporters.values()) == counts["queries"]
    assert counts["parsers"] == ["promtool"]  # world: none — no server to ask
    summary = result.summary["runbooks"]
    assert summary["rules"] == 4 and summary["per_rule_ms"] > 0 and summary["failures"] == []
    text = (tmp_path / "report" / "report.md").read_text()
    assert "## Runbooks" in text and "| payments/edge-rules | 3 | 3 |" in text
    assert "### Failing rules\n\nnone" in text


def test_a_runbook_without_a_section_fails_by_rule_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import agents.runbook.render as render

    original = render.to_markdown
    monkeypatch.setattr(render, "to_markdown", lambda rb: original(rb).replace("## Impact\n", ""))
    result = _run(_suite(tmp_path), tmp_path / "report")
    (row,) = result.rows
    assert not row["passed"] and row["scores"]["score"] == 0
    failures = {f["rule"]: f["problems"] for f in result.summary["runbooks"]["failures"]}
    assert set(failures) == {
        "CheckoutP99LatencyHigh",
        "LedgerQueueBacklog",
        "SettlementWorkerDown",
        "PatroniHasNoLeader",
    }
    assert all(p == ["sections missing: ['Impact']"] for p in failures.values())
    assert (
        "- `LedgerQueueBacklog` (payments/edge-rules): sections missing"
        in (tmp_path / "report" / "report.md").read_text()
    )
    baseline = {"metrics": {"pass_rate": {"value": 1.0, "tolerance": 0.0, "higher_is_better": True}}}
    assert check_gate(result.rows, baseline) == ["pass_rate: 0.0 vs baseline 1.0 ± 0.0"]


def test_queries_the_agent_should_have_rejected_are_caught_by_promtool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the agent's validation disabled, the candidates promtool would have dropped reach the
    Markdown: the scorer re-parses it with promtool and names each rule and promtool's error."""
    import agents.runbook.graph as graph

    monkeypatch.setattr(graph, "_validate", lambda deps, state: {"candidates": state["candidates"]})
    (row,) = _run(_suite(tmp_path)).rows
    counts = row["scores"]["runbook"]
    assert counts["queries_failing"] > 0 and not row["passed"] and row["scores"]["score"] < 100
    assert counts["queries_ok"] + counts["queries_failing"] == counts["queries"]
    names = {"CheckoutP99LatencyHigh", "LedgerQueueBacklog", "SettlementWorkerDown", "PatroniHasNoLeader"}
    assert counts["failures"] and {f["rule"] for f in counts["failures"]} <= names
    assert all("promtool:" in p and "parse error" in p for f in counts["failures"] for p in f["problems"])


def test_fewer_rules_than_expected_fail(tmp_path: Path) -> None:
    (row,) = _run(_suite(tmp_path, "{rules: 5}")).rows
    assert not row["passed"] and row["scores"]["score"] == 80.0
    assert row["scores"]["why"].startswith("4 rules loaded, 5 expected")


def test_the_committed_suite_covers_every_real_rule() -> None:
    scenario = load_scenario(SUITE / "awesome-prometheus-alerts.yaml")
    assert isinstance(scenario.expected, RunbookExpected)
    path = scenario.trigger.resolve(scenario.path)  # type: ignore[union-attr]
    assert path.resolve() == REAL.resolve()
    assert scenario.expected.rules == 954 and scenario.world == "demo"


def test_markdown_helpers() -> None:
    md = "# A\n\n## Meaning\n\nx\n\n## Diagnosis\n\n```promql\nup == 0\n```\n\n## Impact\n"
    assert runbook.sections_of(md) == ["Meaning", "Diagnosis", "Impact"]
    assert runbook.queries_of(md) == ["up == 0"]
    assert (
        runbook.exporter_of({"source": "evals/x/postgresql/postgres-exporter.yml"})
        == "postgresql/postgres-exporter"
    )
    report = {"runbooks": [{"alert": "A", "markdown": md}], "rules": [{"alert": "A", "source": "p/q.yml"}]}
    result = runbook.score(report, ["Meaning", "Impact", "Diagnosis", "Mitigation"], 2, None)
    assert result["score"] == 0
    assert result["runbook"]["failures"][0]["problems"] == [
        "sections missing: ['Mitigation']",
        "1 diagnosis queries (< 2)",
    ]


def test_a_rule_the_agent_dropped_is_named_with_the_agent_s_error() -> None:
    md = "## Meaning\n\n## Impact\n\n## Diagnosis\n\n```promql\nup == 0\n```\n\n## Mitigation\n"
    report = {
        "runbooks": [{"alert": "A", "markdown": md}],
        "rules": [{"alert": "A", "exporter": "x/a"}, {"alert": "B", "exporter": "x/a"}],
        "errors": ["B: cannot parse 'rate(x[5m]) >'"],
    }
    result = runbook.score(report, ["Meaning", "Impact", "Diagnosis", "Mitigation"], 1, 2)
    assert result["score"] == 50.0 and result["ok_rules"] == 1
    assert result["runbook"]["failures"] == [
        {"rule": "B", "exporter": "x/a", "problems": ["no runbook (B: cannot parse 'rate(x[5m]) >')"]}
    ]
    assert result["runbook"]["by_exporter"] == {
        "x/a": {"rules": 2, "ok": 1, "queries": 1, "queries_failing": 0}
    }


@pytest.mark.integration
def test_ml_rules_scenario_on_the_demo_world_is_parsed_by_its_prometheus(
    demo_sandbox: dict[str, Any],
) -> None:
    options = RunOptions(world_dirs={"demo": Path(demo_sandbox["dir"])}, progress=lambda _: None)
    result = evaluate(SUITE / "ml-platform-rules.yaml", options)
    (row,) = result.rows
    assert row["passed"], row["scores"]["why"]
    assert row["scores"]["runbook"]["parsers"] == ["promtool", "prometheus server"]
    good, bad = "sum by (model) (rate(x_total[5m]))", "sum by (model) (rate(x_total[5m])"
    errors, parsers = runbook.parse_errors([good, bad], demo_sandbox["prometheus_url"])
    assert parsers == ["promtool", "prometheus server"] and list(errors) == [bad]
    # a server that does not answer is dropped from the parsers, not blamed on the queries
    assert runbook.parse_errors([good], "http://127.0.0.1:9") == ({}, ["promtool"])
    assert gate.check(result.summary, {"metrics": {}}) == []


def test_rules_are_batched_by_whole_files() -> None:
    from evals.harness.agents import _batch_size, _batches

    loaded = (
        [(n, "a/x") for n in range(60)] + [(n, "b/y") for n in range(50)] + [(n, "c/z") for n in range(5)]
    )
    assert [len(b) for b in _batches(loaded, 100)] == [110, 5]  # b/y is not split
    assert [len(b) for b in _batches(loaded, 50)] == [60, 50, 5]
    assert _batch_size(954) == 100 and _batch_size(10_000) == 400  # ≤ 25 batches: within the tool budget
