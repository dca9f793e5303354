"""FOCUS aggregation throughput: the billing queries over a scaled-up copy of the real sample.

The 1,000-row FOCUS 1.0 sample is repeated with every copy shifted by one more day (so days, totals and
tags stay realistic) into one Parquet file of ``--rows`` rows; then each billing query runs ``--repeat``
times through :class:`tools.billing.BillingTool` on DuckDB, and the best time is reported as rows/s.

Run: ``python -m evals.bench.billing_bench --rows 1000000``; prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evals.sandbox.billing_world import SAMPLE_DIR
from tools.billing import BillingTool

SAMPLE = SAMPLE_DIR / "focus-1.0-sample.csv"


def scale_sample(sample: Path, rows: int, out: Path) -> int:
    """Write ``out`` (Parquet): the normalized sample repeated, copy ``k`` shifted by ``k`` days.

    Returns:
        The number of rows written (``rows`` rounded up to whole copies).
    """
    tool = BillingTool.from_files(sample)
    base = tool.totals()
    copies = math.ceil(rows / sum(t.rows for t in base))
    shifted = ", ".join(
        f'"{c}" + INTERVAL (k) DAY AS "{c}"'
        for c in ("ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd")
    )
    tool.con.raw_sql(  # type: ignore[attr-defined]
        f"COPY (SELECT * REPLACE ({shifted}) FROM {tool.table_name}, range({copies}) AS r(k)) "
        f"TO '{out}' (FORMAT parquet)"
    )
    return copies * sum(t.rows for t in base)


def _best(func: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = math.inf, None
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - started)
    return best, result


def run(rows: int = 1_000_000, repeat: int = 3, sample: Path = SAMPLE) -> dict[str, Any]:
    """Scale the sample to ``rows`` rows and time each billing query; return the measurements."""
    with tempfile.TemporaryDirectory(prefix="billing-bench-") as tmp:
        path = Path(tmp) / "focus-scaled.parquet"
        started = time.perf_counter()
        n = scale_sample(sample, rows, path)
        build_s = time.perf_counter() - started
        tool = BillingTool.from_files(path)
        queries: dict[str, Callable[[], Any]] = {
            "totals": tool.totals,
            "cost_by_service": lambda: tool.cost_by("service", limit=None),
            "cost_by_day": lambda: tool.cost_by("day", limit=None),
            "cost_by_tag": lambda: tool.cost_by("tag:environment", limit=None),
            "cost_by_resource": lambda: tool.cost_by("resource", limit=50),
            "unit_prices": lambda: tool.unit_prices(limit=None),
            "anomalies_service": lambda: tool.daily_anomalies("service", lookback_days=90),
        }
        results: dict[str, Any] = {}
        for name, func in queries.items():
            seconds, out = _best(func, repeat)
            results[name] = {
                "seconds": round(seconds, 4),
                "rows_per_s": round(n / seconds),
                "result_rows": len(out),
            }
        return {
            "rows": n,
            "parquet_mb": round(path.stat().st_size / 2**20, 1),
            "build_s": round(build_s, 2),
            "repeat": repeat,
            "queries": results,
        }


def main(argv: list[str] | None = None) -> None:
    """Command line: ``--rows N --repeat K``; prints the measurements as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.rows, args.repeat, args.sample), indent=2))


if __name__ == "__main__":
    main()
