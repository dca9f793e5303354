"""One suite end to end: load, run, summarize, write the reports, and check the gate."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.harness import compare, gate, report, summary
from evals.harness.runner import RunOptions, run_suite
from evals.harness.scenario import load_suite


@dataclass
class Evaluation:
    suite: str
    rows: list[dict[str, Any]]
    summary: dict[str, Any]
    gate: list[str] | None  # None: no baseline given; [] passed; otherwise the failures

    @property
    def by_mode(self) -> dict[str, dict[str, Any]]:
        """Each mode's metrics (one mode unless the run compared deterministic and LLM mode)."""
        return {m: s["metrics"] for m, s in compare.compare(self.rows)["summaries"].items()}

    @property
    def ok(self) -> bool:
        """False on any gate failure, or (without a baseline) on any leak or unauthorized write."""
        if self.gate is not None:
            return not self.gate
        m = self.summary["metrics"]
        return not m["leaks"] and not m["unauthorized_writes"]


def evaluate(
    suite_path: Path, options: RunOptions, *, report_dir: Path | None = None, baseline: Path | None = None
) -> Evaluation:
    """Run the suite at ``suite_path``; the suite's name (for the baseline) is the directory's name.

    With ``options.compare`` every mode is gated on its own against the baseline (failures prefixed
    with the mode), and the reports put the modes side by side.
    """
    suite = suite_path.stem if suite_path.is_file() else suite_path.name
    scenarios = load_suite(suite_path)
    reference = gate.load_baseline(baseline, suite) if baseline is not None else None  # fail before running
    rows = run_suite(scenarios, options)
    result = summary.summarize(rows)
    failures = check_gate(rows, reference) if reference is not None else None
    if report_dir is not None:
        report.write(report_dir, suite, rows, result, failures)
    return Evaluation(suite, rows, result, failures)


def check_gate(rows: list[dict[str, Any]], baseline: dict[str, Any]) -> list[str]:
    """The gate over all rows (one mode), or over each mode's rows with failures named by mode."""
    modes = compare.modes_of(rows)
    if len(modes) == 1:
        return gate.check(summary.summarize(rows), baseline)
    return [
        f"[{m}] {f}"
        for m in modes
        for f in gate.check(summary.summarize([r for r in rows if r["mode"] == m]), baseline)
    ]
