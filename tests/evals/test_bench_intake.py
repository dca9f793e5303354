"""The intake benchmark runs on real servers and reports its figures (small sizes; no speed asserted)."""

from __future__ import annotations

from pathlib import Path

from evals.bench import intake_bench


def test_throughput_counts_every_alert_committed_by_both_databases(tmp_path: Path) -> None:
    t = intake_bench.throughput(tmp_path, n=60, concurrency=4, rounds=2)
    assert t["all_202"]
    # the warm-up's alerts too: every accepted alert has its incident row and its DBOS workflow
    assert t["incidents_committed"] == t["workflows_enqueued"] == t["expected_committed"] == 120
    assert t["echo_alerts_per_s"] > 0 and t["intake_alerts_per_s"] > 0
    assert len(t["round_ratios"]) == 2
    line = intake_bench._summary(t)
    assert f"ratio {t['ratio']:.2f}" in line and "rounds" in line


def test_storm_reports_no_lost_and_no_duplicate_triage(tmp_path: Path) -> None:
    s = intake_bench.storm(tmp_path, n=40, batch=10, concurrency=4, timeout_s=120)
    assert s["all_202"] and s["deliveries"] == 8  # every payload delivered twice
    assert s["incidents"] == 40
    assert s["lost"] == 0 and s["duplicate_triages"] == 0
    assert s["triage"].startswith("stand-in")
