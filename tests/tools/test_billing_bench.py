"""The billing benchmark's scaled copy keeps the sample's totals exact (small scale, no timing asserts)."""

from __future__ import annotations

from pathlib import Path

from evals.bench.billing_bench import SAMPLE, run, scale_sample
from tools.billing import BillingTool


def test_scaled_copy_multiplies_totals_exactly(tmp_path: Path) -> None:
    out = tmp_path / "scaled.parquet"
    assert scale_sample(SAMPLE, 2500, out) == 3000
    base = {t.provider: t for t in BillingTool.from_files(SAMPLE).totals()}
    scaled = BillingTool.from_files(out)
    for t in scaled.totals():
        assert t.rows == 3 * base[t.provider].rows
        assert (t.billed_cost, t.effective_cost, t.list_cost) == (
            3 * base[t.provider].billed_cost,
            3 * base[t.provider].effective_cost,
            3 * base[t.provider].list_cost,
        )
    days = scaled.cost_by("day", limit=None)
    assert days[0].key == "2024-09-01" and days[-1].key == "2024-10-02"


def test_run_reports_every_query() -> None:
    report = run(rows=1000, repeat=1)
    assert report["rows"] == 1000
    assert set(report["queries"]) >= {"totals", "cost_by_service", "cost_by_day", "cost_by_tag"}
    assert report["queries"]["totals"]["result_rows"] == 3
