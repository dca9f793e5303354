"""Write a suite's results: ``results.json`` (rows + summary), ``report.md`` and ``report.html``."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from evals.harness import compare


def _table(title: str, groups: dict[str, dict[str, Any]]) -> list[str]:
    lines = [
        f"## {title}",
        "",
        "| | runs | pass rate | mean score | mean wall s | tokens | cost USD |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, g in groups.items():
        lines.append(
            f"| {name} | {g['runs']} | {g['pass_rate']} | {g['mean_score']} | {g['mean_wall_s']} | {g['tokens']} | {g['cost_usd']} |"
        )
    return [*lines, ""]


def to_markdown(
    suite: str, summary: dict[str, Any], rows: list[dict[str, Any]], gate: list[str] | None
) -> str:
    """The Markdown report: metrics, by agent / fault kind / mode, calibration, pass@k, every run."""
    m = summary["metrics"]
    lines = [f"# Eval report: {suite}", "", f"{summary['scenarios']} scenarios, {summary['runs']} runs.", ""]
    lines += ["| metric | value |", "|---|---|", *[f"| {k} | {v} |" for k, v in m.items()], ""]
    if gate is not None:
        lines += ["**Gate: PASS**" if not gate else "**Gate: FAIL** — " + "; ".join(gate), ""]
    lines += _table("By agent", summary["by_agent"]) + _table("By fault kind", summary["by_fault_kind"])
    lines += _table("By mode", summary["by_mode"])
    if len(compare.modes_of(rows)) > 1:
        lines += compare.to_markdown(compare.compare(rows))
    cal = summary["calibration"]
    lines += [
        "## Calibration",
        "",
        f"Brier score {cal['brier']} over {cal['answered']} answered triage runs.",
        "",
    ]
    lines += ["| confidence | count | mean confidence | accuracy |", "|---|---|---|---|"]
    lines += [
        f"| {r['bin']} | {r['count']} | {r['mean_confidence']} | {r['accuracy']} |" for r in cal["table"]
    ]
    pk = summary["pass_at_k"]
    lines += [
        "",
        f"pass@{pk['k']} = {pk['pass_at_k']}, pass^{pk['k']} = {pk['pass_all_k']}, "
        f"mean score variance across attempts = {pk['mean_score_variance']}",
        "",
    ]
    if summary.get("runbooks"):
        lines += runbook_section(summary["runbooks"])
    lines += [
        "## Runs",
        "",
        "| scenario | attempt | passed | score | why | wall s |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        why = r["error"] or r["scores"].get("why") or ", ".join(r["leaks"] + r["unauthorized_writes"])
        lines.append(
            f"| {r['id']} | {r['attempt']} | {r['passed']} | {r['scores'].get('score')} | {why} | {r['usage']['wall_s']} |"
        )
    return "\n".join(lines) + "\n"


def runbook_section(rb: dict[str, Any]) -> list[str]:
    """Counts, time, the table by exporter and every failing rule by name."""
    lines = [
        "## Runbooks",
        "",
        f"Queries parsed by: {', '.join(rb['parsers']) or '-'}. The agent ran {rb['batches']} batches of "
        f"whole rule files (the longest {rb['max_batch_s']} s).",
        "",
        "| rules | runbooks | four sections | with queries | queries | parsed OK | failing "
        "| candidates rejected by the agent | total s | per rule ms | parse check s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        f"| {rb['rules']} | {rb['runbooks']} | {rb['four_sections']} | {rb['with_queries']} | {rb['queries']} "
        f"| {rb['queries_ok']} | {rb['queries_failing']} | {rb['rejected_candidates']} | {rb['wall_s']} "
        f"| {rb['per_rule_ms']} | {rb['check_s']} |",
        "",
        "### By exporter",
        "",
        "| exporter | rules | OK | queries | failing |",
        "|---|---|---|---|---|",
        *[
            f"| {name} | {c['rules']} | {c['ok']} | {c['queries']} | {c['queries_failing']} |"
            for name, c in rb["by_exporter"].items()
        ],
        "",
        "### Failing rules",
        "",
    ]
    lines += [f"- `{f['rule']}` ({f['exporter']}): {'; '.join(f['problems'])}" for f in rb["failures"]]
    return [*lines, *([] if rb["failures"] else ["none"]), ""]


def _bars(groups: dict[str, dict[str, Any]]) -> str:
    """An inline SVG bar chart of the mean score per group (no JavaScript, no external assets)."""
    height = 22 * len(groups) + 10
    parts = [f'<svg width="640" height="{height}" role="img">']
    for i, (name, g) in enumerate(groups.items()):
        width = 4 * float(g["mean_score"] or 0)
        y = 5 + 22 * i
        parts.append(f'<text x="0" y="{y + 14}" font-size="12">{html.escape(name)}</text>')
        parts.append(f'<rect x="200" y="{y}" width="{width:.0f}" height="16" fill="#3b7dd8"/>')
        parts.append(f'<text x="{205 + width:.0f}" y="{y + 13}" font-size="12">{g["mean_score"]}</text>')
    return "".join(parts) + "</svg>"


def to_html(
    suite: str, summary: dict[str, Any], markdown: str, comparison: dict[str, Any] | None = None
) -> str:
    """A static page: score charts by agent and fault kind (one bar per mode when modes are compared),
    then the Markdown report as preformatted text."""
    if comparison is not None:
        charts = (
            f"<h2>Mean score by agent, per mode</h2>{compare.chart(comparison, 'by_agent')}"
            f"<h2>Mean score by fault kind, per mode</h2>{compare.chart(comparison, 'by_fault_kind')}"
        )
    else:
        charts = (
            f"<h2>Mean score by agent</h2>{_bars(summary['by_agent'])}"
            f"<h2>Mean score by fault kind</h2>{_bars(summary['by_fault_kind'])}"
        )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Eval {html.escape(suite)}</title></head>"
        f"<body style='font-family:sans-serif'><h1>Eval report: {html.escape(suite)}</h1>"
        f"{charts}<pre>{html.escape(markdown)}</pre></body></html>\n"
    )


def write(
    directory: Path, suite: str, rows: list[dict[str, Any]], summary: dict[str, Any], gate: list[str] | None
) -> None:
    """``results.json`` (with the modes side by side when there are several), ``report.md``, ``report.html``."""
    directory.mkdir(parents=True, exist_ok=True)
    comparison = compare.compare(rows) if len(compare.modes_of(rows)) > 1 else None
    body = {"suite": suite, "summary": summary, "gate": gate, "comparison": comparison, "rows": rows}
    (directory / "results.json").write_text(json.dumps(body, indent=2, default=str) + "\n", encoding="utf-8")
    markdown = to_markdown(suite, summary, rows, gate)
    (directory / "report.md").write_text(markdown, encoding="utf-8")
    (directory / "report.html").write_text(to_html(suite, summary, markdown, comparison), encoding="utf-8")
