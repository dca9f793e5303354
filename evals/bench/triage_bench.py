"""Triage wall-time benchmark: p50/p95 over the demo incidents, deterministic mode (target p95 ≤ 10 s).

Brings up (or reuses) the demo sandbox with :func:`evals.sandbox.world.up`, builds a runtime over it,
runs one untimed warm-up triage (imports, the Feast SDK and the redactor load once per process), then
times ``repeats`` triages of every incident's alert. Prints a JSON summary; exits 1 when p95 misses
the target.

Usage: ``python -m evals.bench.triage_bench [--dir .sandbox] [--repeats 3] [--out FILE] [--down]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from guardrails.gateway import Gateway

TARGET_P95_S = 10.0


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (``q`` in [0, 1]) of the values."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def bench(directory: Path, repeats: int) -> dict[str, Any]:
    """Run the benchmark against the sandbox in ``directory`` (started if needed)."""
    from evals.sandbox import world as sandbox
    from evals.worlds import load_world

    world = load_world("demo")
    endpoints = sandbox.up(world, directory)
    anchor = datetime.fromisoformat(str(endpoints["anchor"]))
    incidents = [i for i in world.incidents if i.alert is not None]
    warmup_s, rows = _timed_triages(directory, incidents, anchor, repeats)
    return _summary(rows, repeats, warmup_s)


def _timed_triages(
    directory: Path, incidents: list[Any], anchor: datetime, repeats: int
) -> tuple[float, list[dict[str, Any]]]:
    """A warm-up triage (timed apart from the rows), then ``repeats`` timed triages of every incident."""
    from guardrails.factory import build_runtime
    from guardrails.settings import GuardrailSettings
    from tools.settings import PlatformSettings

    with tempfile.TemporaryDirectory(prefix="referent-bench-") as state:
        rt = build_runtime(GuardrailSettings(state_dir=Path(state)), PlatformSettings(sandbox_dir=directory))
        try:
            warmup_s, _ = _triage_once(rt.gateway, incidents[0], anchor)
            rows: list[dict[str, Any]] = []
            for incident in incidents:
                for _ in range(repeats):
                    seconds, report = _triage_once(rt.gateway, incident, anchor)
                    rows.append(_row(incident, seconds, report))
        finally:
            rt.close()
    return warmup_s, rows


def _triage_once(gateway: Gateway, incident: Any, anchor: datetime) -> tuple[float, Any]:
    """Triage the incident's alert once; return the wall time in seconds and the report."""
    from agents.deps import AgentDeps
    from agents.triage import run_triage
    from guardrails.gateway import CallContext

    ctx = CallContext(principal="agent:triage", run_id=f"bench-{uuid.uuid4().hex[:10]}")
    started = time.perf_counter()
    report = run_triage(AgentDeps(gateway=gateway, ctx=ctx), incident.firing_alert(anchor))
    return time.perf_counter() - started, report


def _row(incident: Any, seconds: float, report: Any) -> dict[str, Any]:
    """One timed run: the incident, its wall time and whether the top finding has the incident's kind."""
    top = report.top
    return {
        "incident": incident.id,
        "seconds": round(seconds, 3),
        "correct": bool(top and top.kind == incident.kind),
    }


def _summary(rows: list[dict[str, Any]], repeats: int, warmup_s: float) -> dict[str, Any]:
    """The printed JSON summary: percentiles of the timed runs against the target, then every row."""
    times = [float(r["seconds"]) for r in rows]
    return {
        "benchmark": "triage_wall_time",
        "mode": "deterministic",
        "runs": len(rows),
        "repeats": repeats,
        "warmup_s": round(warmup_s, 3),
        "p50_s": round(statistics.median(times), 3),
        "p95_s": round(percentile(times, 0.95), 3),
        "max_s": round(max(times), 3),
        "target_p95_s": TARGET_P95_S,
        "correct": sum(r["correct"] for r in rows),
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the process exit code."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("FEAST_USAGE", "False")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dir", type=Path, default=Path(".sandbox"), help="sandbox directory (reused if running)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per incident")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON summary here")
    parser.add_argument("--down", action="store_true", help="stop the sandbox afterwards")
    args = parser.parse_args(argv)
    try:
        result = bench(args.dir, max(1, args.repeats))
    finally:
        if args.down:
            from evals.sandbox import world as sandbox

            sandbox.down(args.dir)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0 if result["p95_s"] <= TARGET_P95_S else 1


if __name__ == "__main__":
    sys.exit(main())
