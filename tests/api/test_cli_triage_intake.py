"""``referent triage --alert``: input bounds (size, alert count) and per-report streamed output.

Runs the full CLI app (error boundary included) against an empty state directory and no sources,
so each alert ends in a real, stored report that says which sources were missing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app

SOURCES = ("SANDBOX_DIR", "PROMETHEUS_URL", "MLFLOW_TRACKING_URI", "FEAST_REPO", "BILLING_PATH", "LLM_MODEL")


@pytest.fixture(autouse=True)
def empty_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    state = tmp_path / "state"
    monkeypatch.setenv("REFERENT_STATE_DIR", str(state))
    monkeypatch.setenv("REFERENT_PSEUDONYM_KEY", "test-pseudonym-key-0123456789abcdef")
    monkeypatch.setenv("REFERENT_REDACTION_NLP", "false")
    monkeypatch.delenv("REFERENT_DATABASE_URL", raising=False)
    for name in SOURCES:
        monkeypatch.delenv(f"REFERENT_{name}", raising=False)
    return state


def _alert(name: str) -> dict[str, object]:
    return {"status": "firing", "labels": {"alertname": name, "namespace": "ml", "severity": "warning"}}


def _payload(tmp_path: Path, *names: str) -> Path:
    path = tmp_path / "payload.json"
    path.write_text(json.dumps({"version": "4", "alerts": [_alert(n) for n in names]}))
    return path


def test_a_file_above_the_size_limit_is_refused_before_it_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.json"
    path.write_text("{" * 5000)  # not JSON either: the size check must come first
    monkeypatch.setenv("REFERENT_MAX_ALERT_BYTES", "4096")

    result = CliRunner().invoke(app, ["triage", "--alert", str(path)])

    assert result.exit_code == 2
    assert "5000 bytes, above REFERENT_MAX_ALERT_BYTES=4096" in result.output
    assert "not JSON" not in result.output and "Traceback" not in result.output


def test_the_default_size_limit_is_one_mebibyte(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text(" " * (1024 * 1024 + 1))

    result = CliRunner().invoke(app, ["triage", "--alert", str(path)])

    assert result.exit_code == 2 and "above REFERENT_MAX_ALERT_BYTES=1048576" in result.output


def test_a_payload_above_the_alert_count_is_refused_before_triage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty_state: Path
) -> None:
    monkeypatch.setenv("REFERENT_MAX_ALERTS", "2")
    path = _payload(tmp_path, "A", "B", "C")

    result = CliRunner().invoke(app, ["triage", "--alert", str(path)])

    assert result.exit_code == 2
    assert "3 alerts, above REFERENT_MAX_ALERTS=2" in result.output
    assert not (empty_state / "referent.db").exists(), "nothing may be triaged or stored"


def test_a_bad_limit_setting_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFERENT_MAX_ALERTS", "0")

    result = CliRunner().invoke(app, ["triage", "--alert", str(_payload(tmp_path, "A"))])

    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: invalid configuration: REFERENT_MAX_ALERTS: Input should be greater than or equal to 1"
    )


def test_several_alerts_print_json_lines_one_report_each(tmp_path: Path) -> None:
    path = _payload(tmp_path, "CpuThrottlingHigh", "GpuIdleAllocated")

    result = CliRunner().invoke(app, ["triage", "--alert", str(path), "--json"])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    reports = [json.loads(line) for line in lines]
    assert [r["alert"]["alertname"] for r in reports] == ["CpuThrottlingHigh", "GpuIdleAllocated"]
    assert len({r["report_id"] for r in reports}) == 2


def test_one_alert_prints_one_indented_object(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["triage", "--alert", str(_payload(tmp_path, "CpuThrottlingHigh")), "--json"]
    )

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("{\n")
    assert json.loads(result.stdout)["alert"]["alertname"] == "CpuThrottlingHigh"


def test_several_alerts_print_markdown_separated_by_rules(tmp_path: Path) -> None:
    path = _payload(tmp_path, "CpuThrottlingHigh", "GpuIdleAllocated", "FeatureViewStale")

    result = CliRunner().invoke(app, ["triage", "--alert", str(path)])

    assert result.exit_code == 0, result.output
    parts = result.stdout.split("\n---\n")
    assert len(parts) == 3
    assert [p.count("# Triage: ") for p in parts] == [1, 1, 1]


def test_reports_are_produced_one_at_a_time() -> None:
    """The command prints report N before alert N+1 is triaged: the producer is a lazy generator."""
    from agents.reports import ReportStore
    from agents.triage.alert import parse_alerts
    from api.commands.triage import _reports
    from guardrails.settings import GuardrailSettings
    from guardrails.store.db import Database

    alerts = parse_alerts([_alert("CpuThrottlingHigh"), _alert("GpuIdleAllocated")])
    produced = _reports(alerts)
    db = None
    try:
        first = next(produced)
        db = Database(GuardrailSettings().db_url)
        store = ReportStore(db)
        assert first.alert.alertname == "CpuThrottlingHigh"
        assert [r.id for r in store.list(kind="triage")] == [first.report_id], (
            "the second alert must not be triaged before the first report is out"
        )
        second = next(produced)
        assert second.alert.alertname == "GpuIdleAllocated" and len(store.list(kind="triage")) == 2
    finally:
        produced.close()
        if db is not None:
            db.dispose()
