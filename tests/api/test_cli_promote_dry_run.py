"""``referent promote --dry-run``: the gates and the decision, and nothing written but audit records."""

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
    for name in ("DATABASE_URL", *SOURCES):
        monkeypatch.delenv(f"REFERENT_{name}", raising=False)
    return state


@pytest.mark.parametrize(
    "command", [["promote", "fraud-scorer", "2", "--to", "production"], ["rollback", "fraud-scorer"]]
)
def test_a_dry_run_decides_without_writing(empty_state: Path, command: list[str]) -> None:
    from agents.promotion.checkpoint import checkpoint_path
    from agents.reports import ReportStore
    from guardrails.audit import AuditLog
    from guardrails.settings import GuardrailSettings
    from guardrails.store.db import Database

    result = CliRunner().invoke(app, [*command, "--dry-run", "--json"])

    assert result.exit_code == 1, result.output  # blocked: no source answers on an empty machine
    report = json.loads(result.stdout)
    assert report["dry_run"] is True and report["decision"] != "promote"
    assert not report.get("approval_id")
    assert not checkpoint_path(empty_state).exists(), "a dry run keeps no checkpoint"
    db = Database(GuardrailSettings().db_url)
    try:
        assert ReportStore(db).list() == [], "a dry run stores no report"
        records = AuditLog(db).tail(1000, None)
        assert records, "its reads are audited"
        assert not [
            r
            for r in records
            if r.tool.startswith("mlflow.") and "alias" in r.tool and r.tool != "mlflow.alias_history"
        ]
    finally:
        db.dispose()
