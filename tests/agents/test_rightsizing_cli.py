"""CLI wiring of ``referent rightsize`` and ``referent finops report``: registration and bad input (exit 2)."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from api.commands import rightsize


def _app() -> typer.Typer:
    app = typer.Typer()
    rightsize.register(app)
    return app


def test_commands_are_registered():
    result = CliRunner().invoke(_app(), ["--help"])
    assert result.exit_code == 0
    assert "rightsize" in result.output and "finops" in result.output
    assert "report" in CliRunner().invoke(_app(), ["finops", "--help"]).output


def test_bad_workload_name_exits_2_before_any_query():
    result = CliRunner().invoke(_app(), ["rightsize", "--workload", 'x"}) or vector(1'])
    assert result.exit_code == 2
    assert "invalid --workload" in result.output


def test_slack_delivery_without_settings_exits_2(monkeypatch):
    monkeypatch.delenv("REFERENT_SLACK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("REFERENT_SLACK_CHANNEL", raising=False)
    result = CliRunner().invoke(_app(), ["finops", "report", "--slack"])
    assert result.exit_code == 2
    assert "REFERENT_SLACK_BOT_TOKEN" in result.output
