"""The start-up benchmark runs the real commands and reports them against ``python -c pass`` (no timing asserts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.bench import startup


def test_cases_cover_the_goals_of_the_issue() -> None:
    goals = {case.name: case.goal_s for case in startup.CASES}
    assert goals["python -c pass"] is None
    assert goals["referent --help"] == 1.0
    assert goals["referent runbook (one rule)"] == 3.0 and goals["referent promote --dry-run"] == 3.0


def test_measure_reports_each_command_next_to_the_baseline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(startup, "CASES", startup.CASES[:2])  # the baseline and --help keep the test short
    out = tmp_path / "startup.json"

    assert startup.main(["--repeats", "1", "--out", str(out)]) == 0

    printed = capsys.readouterr().out
    assert "no sources configured" in printed and "referent --help" in printed
    rows = json.loads(out.read_text())["no sources"]
    assert [r["name"] for r in rows] == ["python -c pass", "referent --help"]
    assert rows[0]["wall_ratio"] == 1.0 and rows[1]["exit_codes"] == [0]
    assert rows[1]["wall_s"] > rows[0]["wall_s"] > 0
