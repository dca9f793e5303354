"""``referent triage --alert FILE``: bad input exits 2; a real payload prints and stores a report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from api.commands import triage as triage_cmd

SCENARIOS = Path(__file__).resolve().parents[2] / "evals" / "scenarios" / "triage"


@pytest.fixture
def app() -> typer.Typer:
    cli = typer.Typer()
    triage_cmd.register(cli)

    @cli.command("noop")
    def _noop() -> None:  # a second command keeps typer in multi-command mode
        """Unused."""

    return cli


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "is not JSON"),
        (
            '{"version": "3", "alerts": [{"labels": {"alertname": "X"}}]}',
            "unsupported Alertmanager payload version",
        ),
        ('{"labels": {"severity": "warning"}}', "no alertname"),
        (
            '{"version": "4", "alerts": [{"status": "resolved", "labels": {"alertname": "X"}}]}',
            "no firing alerts",
        ),
    ],
)
def test_bad_input_exits_2(app: typer.Typer, tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "alert.json"
    path.write_text(content)
    result = CliRunner().invoke(app, ["triage", "--alert", str(path)])
    assert result.exit_code == 2
    assert message in result.output


def test_missing_file_exits_2(app: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["triage", "--alert", str(tmp_path / "nope.json")])
    assert result.exit_code == 2 and "no such file" in result.output


@pytest.mark.integration
def test_scenario_payload_triaged_from_the_cli(
    app: typer.Typer, demo_sandbox: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFERENT_SANDBOX_DIR", demo_sandbox["dir"])
    monkeypatch.setenv("REFERENT_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("REFERENT_PSEUDONYM_KEY", "test-pseudonym-key-0123456789abcdef")
    monkeypatch.delenv("REFERENT_LLM_MODEL", raising=False)
    result = CliRunner().invoke(app, ["triage", "--alert", str(SCENARIOS / "gateway-cpu.json"), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["hypotheses"][0]["kind"] == "cpu_saturation" and body["report_id"].startswith("triage-")
    markdown = CliRunner().invoke(app, ["triage", "--alert", str(SCENARIOS / "idle-gpu.json")])
    assert markdown.exit_code == 0 and "# Triage: GpuIdleAllocated" in markdown.output
    failed = CliRunner().invoke(
        app, ["triage", "--alert", str(SCENARIOS / "card-profile-job-failed.json"), "--json"]
    )
    assert failed.exit_code == 0, failed.output
    top = json.loads(failed.output)["hypotheses"][0]
    assert (top["kind"], top["culprit"]["workload"]) == ("failed_job", "fp-card-profile")
    for scenario, kind, workload in (
        ("kyc-signup-surge.json", "traffic_surge", "kyc-orchestrator"),
        ("payout-feature-store-slow.json", "degraded_dependency", "payout-service"),
        ("explainer-crashloop.json", "crash_loop_after_rollout", "model-explainer-legacy"),
    ):
        out = CliRunner().invoke(app, ["triage", "--alert", str(SCENARIOS / scenario), "--json"])
        assert out.exit_code == 0, out.output
        top = json.loads(out.output)["hypotheses"][0]
        assert (top["kind"], top["culprit"]["workload"]) == (kind, workload), scenario
