"""One suite end to end: load, run, summarize, write the reports, and check the gate."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.harness import gate, report, summary
from evals.harness.runner import RunOptions, run_suite
from evals.harness.scenario import load_suite


@dataclass
class Evaluation:
    suite: str
    rows: list[dict[str, Any]]
    summary: dict[str, Any]
    gate: list[str] | None  # None: no baseline given; [] passed; otherwise the failures

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
    """Run the suite at ``suite_path``; the suite's name (for the baseline) is the directory's name."""
    suite = suite_path.stem if suite_path.is_file() else suite_path.name
    scenarios = load_suite(suite_path)
    rows = run_suite(scenarios, options)
    result = summary.summarize(rows)
    failures = gate.check(result, gate.load_baseline(baseline, suite)) if baseline is not None else None
    if report_dir is not None:
        report.write(report_dir, suite, rows, result, failures)
    return Evaluation(suite, rows, result, failures)
