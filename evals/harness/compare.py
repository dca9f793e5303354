"""Deterministic and LLM mode side by side: the same suite's runs in two (or more) modes.

Every result row carries its mode (``deterministic``, ``llm:<model>``). Each mode is summarized on its
own (:func:`evals.harness.summary.summarize`), and the comparison puts the summaries next to each other:
the tracked metrics, tokens, cost and time overall; score, pass rate, tokens, cost and mean wall time by
agent and by fault kind; and the scenarios whose verdict differs between modes. The rows may come from
one ``referent eval run --compare`` or from two ``results.json`` files (``referent eval compare``).
"""

from __future__ import annotations

import html
import statistics
from collections import defaultdict
from typing import Any

from evals.harness.summary import summarize

DETERMINISTIC = "deterministic"
COLORS = ("#3b7dd8", "#e0813a", "#4caf50", "#9c27b0")
_OVERALL = (
    "pass_rate",
    "mean_score",
    "triage_mean_score",
    "evidence_precision",
    "brier",
    "errors",
    "leaks",
    "unauthorized_writes",
)
_GROUP = (("score", "mean_score"), ("pass", "pass_rate"), ("tokens", "tokens"), ("USD", "cost_usd"))


def modes_of(rows: list[dict[str, Any]]) -> list[str]:
    """The modes present, deterministic first."""
    return sorted({r["mode"] for r in rows}, key=lambda m: (m != DETERMINISTIC, m))


def relabel(rows: list[dict[str, Any]], suffix: str) -> list[dict[str, Any]]:
    """The rows with ``suffix`` added to their mode (two runs of the same mode compared)."""
    return [{**r, "mode": f"{r['mode']} {suffix}"} for r in rows]


def compare(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per mode: its summary; and the scenarios whose mean score or pass rate differs between modes."""
    modes = modes_of(rows)
    summaries = {m: summarize([r for r in rows if r["mode"] == m]) for m in modes}
    per: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        per[row["id"]][row["mode"]].append(row)
    differences = []
    for sid, by_mode in sorted(per.items()):
        verdicts = {m: _verdict(items) for m, items in by_mode.items()}
        if len(verdicts) > 1 and len({(v["score"], v["pass_rate"]) for v in verdicts.values()}) > 1:
            differences.append({"id": sid, "modes": verdicts})
    return {"modes": modes, "summaries": summaries, "differences": differences}


def _verdict(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "score": round(statistics.fmean(float(r["scores"].get("score", 0)) for r in items), 2),
        "pass_rate": round(statistics.fmean(float(r["passed"]) for r in items), 3),
        "why": next((r["error"] or r["scores"].get("why") or "" for r in items if not r["passed"]), ""),
    }


def _overall_rows(comparison: dict[str, Any]) -> list[str]:
    modes, sums = comparison["modes"], comparison["summaries"]
    lines = []
    for name in _OVERALL:
        lines.append(f"| {name} | " + " | ".join(str(sums[m]["metrics"].get(name)) for m in modes) + " |")
    for name in ("tokens", "cost_usd", "wall_s"):
        lines.append(f"| {name} | " + " | ".join(str(sums[m]["usage"][name]) for m in modes) + " |")
    lines.append(
        "| mean wall s per run | "
        + " | ".join(str(round(sums[m]["usage"]["wall_s"] / max(sums[m]["runs"], 1), 3)) for m in modes)
        + " |"
    )
    for name in ("pass_at_k", "pass_all_k", "mean_score_variance"):
        lines.append(f"| {name} | " + " | ".join(str(sums[m]["pass_at_k"][name]) for m in modes) + " |")
    k = " | ".join(str(sums[m]["pass_at_k"]["k"]) for m in modes)
    return [*lines, f"| k (attempts) | {k} |"]


def _group_table(title: str, key: str, comparison: dict[str, Any]) -> list[str]:
    modes, sums = comparison["modes"], comparison["summaries"]
    groups = sorted({g for m in modes for g in sums[m][key]})
    metrics = [*_GROUP, ("mean s", "mean_wall_s")]
    head = [f"{label} · {m}" for label, _ in metrics for m in modes]
    lines = [f"### {title}", "", f"| {key[3:]} | " + " | ".join(head) + " |", "|---" * (len(head) + 1) + "|"]
    for g in groups:
        cells = [str(sums[m][key].get(g, {}).get(field, "-")) for _, field in metrics for m in modes]
        lines.append(f"| {g} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def to_markdown(comparison: dict[str, Any]) -> list[str]:
    """The side-by-side section of a report."""
    modes = comparison["modes"]
    lines = [
        "## Modes side by side",
        "",
        "Modes: " + ", ".join(f"`{m}`" for m in modes) + ".",
        "",
        "| metric | " + " | ".join(modes) + " |",
        "|---" * (len(modes) + 1) + "|",
        *_overall_rows(comparison),
        "",
    ]
    lines += _group_table("By agent", "by_agent", comparison)
    lines += _group_table("By fault kind", "by_fault_kind", comparison)
    lines += ["### Scenarios whose verdict differs", ""]
    if not comparison["differences"]:
        return [*lines, "none", ""]
    lines += ["| scenario | " + " | ".join(modes) + " |", "|---" * (len(modes) + 1) + "|"]
    for d in comparison["differences"]:
        cells = []
        for m in modes:
            v = d["modes"].get(m)
            cells.append("-" if v is None else f"{v['score']} (pass {v['pass_rate']}) {v['why']}".strip())
        lines.append(f"| {d['id']} | " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return [*lines, ""]


def chart(comparison: dict[str, Any], key: str) -> str:
    """Inline SVG: the mean score of each group, one bar per mode (no JavaScript, no external assets)."""
    modes, sums = comparison["modes"], comparison["summaries"]
    groups = sorted({g for m in modes for g in sums[m][key]})
    step = 18 * len(modes) + 8
    parts = [f'<svg width="700" height="{step * len(groups) + 20 * len(modes) + 10}" role="img">']
    for i, m in enumerate(modes):
        parts.append(
            f'<rect x="0" y="{4 + 20 * i}" width="12" height="12" fill="{COLORS[i % len(COLORS)]}"/>'
        )
        parts.append(f'<text x="18" y="{14 + 20 * i}" font-size="12">{html.escape(m)}</text>')
    top = 20 * len(modes) + 10
    for j, g in enumerate(groups):
        y0 = top + step * j
        parts.append(f'<text x="0" y="{y0 + 13}" font-size="12">{html.escape(g)}</text>')
        for i, m in enumerate(modes):
            score = sums[m][key].get(g, {}).get("mean_score")
            width = 4 * float(score or 0)
            y = y0 + 18 * i
            color = COLORS[i % len(COLORS)]
            parts.append(f'<rect x="200" y="{y}" width="{width:.0f}" height="14" fill="{color}"/>')
            parts.append(f'<text x="{205 + width:.0f}" y="{y + 12}" font-size="11">{score}</text>')
    return "".join(parts) + "</svg>"
