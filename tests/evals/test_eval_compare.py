"""Deterministic and LLM mode side by side (score, tokens, cost, time by agent and fault kind), pass@k
and variance per mode, the per-mode gate, and the CLI: `eval run --compare` and `eval compare A B`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from api.commands import eval_cmds
from evals.harness import compare, report, summary
from evals.harness.evaluate import check_gate
from evals.harness.runner import RunOptions, run_suite
from evals.harness.scenario import load_suite

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "evals" / "suites" / "smoke"
LLM = "llm:some-provider/some-model"


def _row(
    sid: str,
    mode: str,
    score: float,
    *,
    attempt: int = 0,
    tokens: int = 0,
    wall: float = 1.0,
    agent: str = "triage",
    kind: str = "oom",
) -> dict[str, Any]:
    return {
        "id": sid, "agent": agent, "world": "w", "fault_kind": kind, "attempt": attempt, "mode": mode,
        "passed": score == 100, "error": "", "leaks": [], "unauthorized_writes": [],
        "scores": {"score": score, "why": "" if score == 100 else "wrong kind"},
        "usage": {"tool_calls": 3, "llm_calls": int(tokens > 0), "tokens": tokens,
                  "cost_usd": tokens * 1e-6, "wall_s": wall},
        "trajectory": [],
    }  # fmt: skip


def _rows() -> list[dict[str, Any]]:
    rows = [
        _row("a", "deterministic", 100),
        _row("b", "deterministic", 100, agent="promotion", kind="promotion"),
    ]
    rows += [_row("a", LLM, s, attempt=n, tokens=1000, wall=4.0) for n, s in enumerate((100, 0, 100))]
    rows += [
        _row("b", LLM, 100, attempt=n, tokens=500, agent="promotion", kind="promotion") for n in range(3)
    ]
    return rows


def test_modes_side_by_side_by_agent_and_fault_kind() -> None:
    result = compare.compare(_rows())
    assert result["modes"] == ["deterministic", LLM]
    det, llm = (result["summaries"][m] for m in result["modes"])
    assert (
        det["by_agent"]["triage"]["mean_score"] == 100.0 and llm["by_agent"]["triage"]["mean_score"] == 66.667
    )
    assert (det["usage"]["tokens"], llm["usage"]["tokens"]) == (0, 4500)
    assert (
        llm["by_fault_kind"]["oom"]["cost_usd"] == 0.003 and llm["by_fault_kind"]["oom"]["mean_wall_s"] == 4.0
    )
    assert [d["id"] for d in result["differences"]] == ["a"]
    assert result["differences"][0]["modes"][LLM] == {"score": 66.67, "pass_rate": 0.667, "why": "wrong kind"}
    text = "\n".join(compare.to_markdown(result))
    assert f"| metric | deterministic | {LLM} |" in text
    assert f"| agent | score · deterministic | score · {LLM} |" in text
    assert "| oom | 100.0 | 66.667 | 1.0 | 0.667 | 0 | 3000 |" in text
    assert "| a | 100.0 (pass 1.0) | 66.67 (pass 0.667) wrong kind |" in text
    svg = compare.chart(result, "by_fault_kind")
    assert all(c in svg for c in compare.COLORS[:2]) and svg.count("<rect") == 2 + 2 * 2


def test_pass_at_k_and_variance_are_per_mode() -> None:
    pk = summary.pass_at_k(_rows())
    assert pk["k"] == 3 and pk["scenarios"][f"a [{LLM}]"] == {
        "k": 3, "pass_at_k": True, "pass_all_k": False, "score_variance": 2222.222
    }  # fmt: skip
    assert pk["scenarios"]["a [deterministic]"]["score_variance"] == 0.0
    llm = compare.compare(_rows())["summaries"][LLM]["pass_at_k"]
    assert (llm["pass_at_k"], llm["pass_all_k"], llm["mean_score_variance"]) == (1.0, 0.5, 1111.111)


def test_each_mode_is_gated_on_its_own() -> None:
    baseline = {"metrics": {"pass_rate": {"value": 1.0, "tolerance": 0.0, "higher_is_better": True}}}
    assert check_gate(_rows(), baseline) == [f"[{LLM}] pass_rate: 0.833 vs baseline 1.0 ± 0.0"]
    assert check_gate([r for r in _rows() if r["mode"] == "deterministic"], baseline) == []


def test_report_files_put_the_modes_side_by_side(tmp_path: Path) -> None:
    rows = _rows()
    report.write(tmp_path, "s", rows, summary.summarize(rows), None)
    body = json.loads((tmp_path / "results.json").read_text())
    assert body["comparison"]["modes"] == ["deterministic", LLM]
    assert "## Modes side by side" in (tmp_path / "report.md").read_text()
    assert "per mode</h2><svg" in (tmp_path / "report.html").read_text()
    single = [r for r in rows if r["mode"] == LLM]
    report.write(tmp_path / "one", "s", single, summary.summarize(single), None)
    assert json.loads((tmp_path / "one" / "results.json").read_text())["comparison"] is None
    assert "side by side" not in (tmp_path / "one" / "report.md").read_text()


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    eval_cmds.register(app)

    @app.command("noop")
    def _noop() -> None:  # a second command keeps typer in multi-command mode
        """Unused."""

    return app


def test_cli_compares_two_saved_runs(cli: typer.Typer, tmp_path: Path) -> None:
    rows = _rows()
    for name, mode in (("det", "deterministic"), ("llm", LLM)):
        part = [r for r in rows if r["mode"] == mode]
        report.write(tmp_path / name, "smoke", part, summary.summarize(part), None)
    out = tmp_path / "cmp"
    args = ["eval", "compare", str(tmp_path / "det/results.json"), str(tmp_path / "llm/results.json")]
    result = CliRunner().invoke(cli, [*args, "--report", str(out)])
    assert result.exit_code == 0, result.output
    assert "## Modes side by side" in result.output and "| a | 100.0 (pass 1.0) |" in result.output
    assert json.loads((out / "results.json").read_text())["comparison"]["differences"][0]["id"] == "a"
    # the same mode twice: the second run is told apart by its position
    same = CliRunner().invoke(cli, ["eval", "compare", args[2], args[2]])
    assert same.exit_code == 0 and "deterministic #2" in same.output


def test_cli_rejects_bad_comparisons(cli: typer.Typer, tmp_path: Path) -> None:
    no_model = CliRunner().invoke(cli, ["eval", "run", "--suite", str(SMOKE), "--compare"])
    assert no_model.exit_code == 2 and "--compare needs --model" in no_model.output
    (tmp_path / "x.json").write_text("{}")
    bad = CliRunner().invoke(cli, ["eval", "compare", str(tmp_path / "x.json"), str(tmp_path / "x.json")])
    assert bad.exit_code == 2 and "not a results.json" in bad.output
    with pytest.raises(ValueError, match="needs a model"):
        run_suite(load_suite(SMOKE), RunOptions(compare=True))


@pytest.mark.integration
def test_compare_runs_both_modes_on_one_world(demo_sandbox: dict[str, Any], tmp_path: Path) -> None:
    """A scripted model that submits no hypothesis: right where nothing is wrong, wrong where a bad version
    is — the comparison shows it, with the model's tokens, next to deterministic mode on the same world."""
    from agents.testing import ScriptedChatModel, tool_call

    submit = tool_call("submit", {"hypotheses": [], "next_checks": []}, call_id="s1")
    wanted = {"smoke-fraud-bad-version", "smoke-healthy-mlflow-tracking"}
    scenarios = [s for s in load_suite(SMOKE) if s.id in wanted]
    lines: list[str] = []
    options = RunOptions(
        world_dirs={"demo": Path(demo_sandbox["dir"])},
        chat_factory=lambda: ScriptedChatModel(script=[submit]),
        compare=True,
        progress=lines.append,
    )
    rows = run_suite(scenarios, options)
    assert [(r["id"], r["mode"]) for r in rows] == [
        ("smoke-fraud-bad-version", "deterministic"),
        ("smoke-healthy-mlflow-tracking", "deterministic"),
        ("smoke-fraud-bad-version", "llm:scripted"),
        ("smoke-healthy-mlflow-tracking", "llm:scripted"),
    ]
    assert len(lines) == 4 and lines[-1].startswith("[####################] 4/4")
    result = compare.compare(rows)
    det, llm = result["summaries"]["deterministic"], result["summaries"]["llm:scripted"]
    assert det["metrics"]["mean_score"] == 100.0 and det["usage"]["tokens"] == 0
    assert llm["usage"]["tokens"] > 0 and llm["by_fault_kind"]["abstain"]["mean_score"] == 100.0
    assert [d["id"] for d in result["differences"]] == ["smoke-fraud-bad-version"]
    report.write(tmp_path, "smoke", rows, summary.summarize(rows), None)
    assert (
        "| smoke-fraud-bad-version | 100.0 (pass 1.0) | 0.0 (pass 0.0)"
        in (tmp_path / "report.md").read_text()
    )
