"""``referent eval``: run scenario suites on the real sandbox, score them, write reports, gate on a baseline.

``referent eval run --suite PATH [--model NAME] [--repeat K] [--report DIR] [--baseline FILE]
[--sandbox-dir DIR] [--keep-up] [--write-baseline]`` exits 0 when the gate passes, 1 when a tracked score fell below
the baseline beyond its tolerance or any PII leak / unauthorized write happened, 2 on bad input.
``--compare`` (with ``--model``) also runs every scenario in deterministic mode and reports both side by side.
``referent eval compare A B [--report DIR]`` puts two saved runs (``results.json``) side by side.
``referent eval worlds generate --seed N`` prints a generated world (YAML).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from api.commands.common import fail

eval_app = typer.Typer(help="Scenario suites, scorers, reports and the CI gate.", no_args_is_help=True)
worlds_app = typer.Typer(help="Generated worlds.", no_args_is_help=True)


@eval_app.command("run")
def run(
    suite: Annotated[Path, typer.Option("--suite", help="suite directory (or one scenario file)")],
    model: Annotated[
        str | None, typer.Option("--model", help="litellm model id (default: deterministic)")
    ] = None,
    repeat: Annotated[int, typer.Option("--repeat", min=1, help="runs per scenario (pass@k when > 1)")] = 1,
    report: Annotated[
        Path | None, typer.Option("--report", help="write results.json, report.md, report.html here")
    ] = None,
    baseline: Annotated[Path | None, typer.Option("--baseline", help="baseline JSON to gate against")] = None,
    sandbox_dir: Annotated[
        Path, typer.Option("--sandbox-dir", help="where worlds run (one subdirectory per world; reused)")
    ] = Path(".sandbox-eval"),
    keep_up: Annotated[
        bool, typer.Option("--keep-up", help="leave the worlds started by this run running for the next one")
    ] = False,
    write_baseline: Annotated[
        bool,
        typer.Option(
            "--write-baseline", help="record this run's scores as the suite's baseline in --baseline"
        ),
    ] = False,
    compare: Annotated[
        bool,
        typer.Option(
            "--compare", help="with --model: also run deterministic mode and report both side by side"
        ),
    ] = False,
) -> None:
    """Run a suite, print the summary metrics, write the reports, and gate on the baseline."""
    from evals.harness import gate
    from evals.harness.evaluate import evaluate
    from evals.harness.runner import RunOptions
    from evals.harness.scenario import ScenarioError

    if not suite.exists():
        fail(f"no such suite: {suite}")
    if write_baseline and baseline is None:
        fail("--write-baseline needs --baseline FILE")
    if compare and (model is None or write_baseline):
        fail("--compare needs --model NAME (and does not write a baseline)")
    options = RunOptions(
        model=model, repeat=repeat, sandbox_root=sandbox_dir, keep_up=keep_up, compare=compare
    )
    try:
        result = evaluate(suite, options, report_dir=report, baseline=None if write_baseline else baseline)
    except (ScenarioError, ValueError) as exc:
        fail(str(exc))
    modes = {"modes": result.by_mode} if compare else {}
    typer.echo(
        json.dumps(
            {"suite": result.suite, **result.summary["metrics"], **modes, "gate": result.gate}, indent=2
        )
    )
    if write_baseline and baseline is not None:
        data = json.loads(baseline.read_text()) if baseline.exists() else {"suites": {}}
        data.setdefault("suites", {})[result.suite] = gate.make_baseline(result.summary)
        baseline.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    if not result.ok:
        typer.echo("eval gate failed: " + "; ".join(result.gate or ["leak or unauthorized write"]), err=True)
        raise typer.Exit(code=1)


@eval_app.command("compare")
def compare_runs(
    results: Annotated[list[Path], typer.Argument(help="results.json of each run (two or more)")],
    report: Annotated[
        Path | None, typer.Option("--report", help="write results.json, report.md, report.html here")
    ] = None,
) -> None:
    """Put saved runs side by side (e.g. deterministic and --model): score, tokens, cost, time."""
    from evals.harness import compare, summary
    from evals.harness import report as reports

    if len(results) < 2:
        fail("give two or more results.json files")
    rows: list[dict[str, Any]] = []
    suites: list[str] = []
    for n, path in enumerate(results):
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
            run_rows = list(body["rows"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            fail(f"{path}: not a results.json of `referent eval run` ({exc})")
        seen = {r["mode"] for r in rows}
        rows += compare.relabel(run_rows, f"#{n + 1}") if seen & {r["mode"] for r in run_rows} else run_rows
        suites.append(str(body.get("suite", path.parent.name)))
    comparison = compare.compare(rows)
    if report is not None:
        reports.write(report, " vs ".join(dict.fromkeys(suites)), rows, summary.summarize(rows), None)
    typer.echo("\n".join(compare.to_markdown(comparison)))


@worlds_app.command("generate")
def generate(
    seed: Annotated[int, typer.Option("--seed", help="the seed; the world is named gen-<seed>")],
    suite: Annotated[
        Path | None,
        typer.Option("--suite", help="also write the world's triage scenarios into this directory"),
    ] = None,
) -> None:
    """Print a generated world (YAML, valid against the world schema)."""
    import yaml

    from evals.generator.suites import write_suite
    from evals.generator.worlds import generate_raw, generate_world

    generate_world(seed)  # validates
    typer.echo(yaml.safe_dump(generate_raw(seed), sort_keys=False), nl=False)
    if suite is not None:
        for path in write_suite([seed], suite):
            typer.echo(f"wrote {path}", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")
    eval_app.add_typer(worlds_app, name="worlds")
