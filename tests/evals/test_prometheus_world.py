"""The demo world rendered as OpenMetrics: deterministic, incidents visible, accepted by promtool."""

from __future__ import annotations

import hashlib
import re
import subprocess
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from evals.sandbox.prometheus_world import backfill, pod_names, render_openmetrics, render_openmetrics_chunks
from evals.worlds.schema import World, load_world

ANCHOR = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
LINE = re.compile(r"^(\w+)\{(.*)\} (\S+) (\d+)$")
Series = dict[tuple[str, frozenset[tuple[str, str]]], list[tuple[int, float]]]


def _world() -> World:
    """The demo world with 2 days of history, enough for every incident to start inside it."""
    return load_world("demo").model_copy(update={"history": timedelta(days=2), "future": timedelta(hours=2)})


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, Series]:
    path = tmp_path_factory.mktemp("om") / "demo.om"
    count = render_openmetrics(_world(), ANCHOR, path)
    series: Series = defaultdict(list)
    for line in path.read_text().splitlines():
        match = LINE.match(line)
        if match:
            name, labels, value, ts = match.groups()
            key = frozenset(tuple(kv.split("=", 1)) for kv in labels.split(","))
            series[(name, frozenset((k, v.strip('"')) for k, v in key))].append((int(ts), float(value)))
    return path, count, series


def _select(series: Series, name: str, **labels: str) -> list[list[tuple[int, float]]]:
    want = set(labels.items())
    return [points for (n, key), points in series.items() if n == name and want <= key]


def _at(points: list[tuple[int, float]], ago: timedelta) -> float:
    t = int((ANCHOR - ago).timestamp())
    return next(v for ts, v in reversed(points) if ts <= t)


def _increase(points: list[tuple[int, float]], frm: timedelta, to: timedelta) -> float:
    return _at(points, to) - _at(points, frm)


def test_rendering_is_deterministic_and_spans_history_to_future(
    tmp_path: Path, rendered: tuple[Path, int, Series]
) -> None:
    path, count, series = rendered
    again = tmp_path / "again.om"
    assert render_openmetrics(_world(), ANCHOR, again) == count
    assert hashlib.sha256(again.read_bytes()).digest() == hashlib.sha256(path.read_bytes()).digest()
    [labels_points, *_] = _select(series, "kube_pod_labels")
    assert labels_points[0][0] == int((ANCHOR - timedelta(days=2)).timestamp())
    assert labels_points[-1][0] == int((ANCHOR + timedelta(hours=2)).timestamp())
    assert path.read_text().endswith("# EOF\n")


def test_pods_are_named_per_replica(rendered: tuple[Path, int, Series]) -> None:
    world = _world()
    workload = world.workload("fraud-scorer-serving")
    pods = pod_names(world, workload)
    assert len(pods) == 3 and all(re.fullmatch(r"fraud-scorer-serving-[0-9a-f]{9}-\d", p) for p in pods)
    found = {
        dict(key)["pod"]
        for (name, key) in rendered[2]
        if name == "kube_pod_labels" and dict(key)["label_app"] == workload.name
    }
    assert found == set(pods)


def test_bad_model_version_raises_errors_and_switches_version(rendered: tuple[Path, int, Series]) -> None:
    series = rendered[2]
    ok_v4, err_v4 = (
        _select(series, "model_requests_total", model="fraud-scorer", version="4", code=c)[0]
        for c in ("200", "500")
    )
    ok_v3, err_v3 = (
        _select(series, "model_requests_total", model="fraud-scorer", version="3", code=c)[0]
        for c in ("200", "500")
    )
    h = timedelta(hours=1)
    after = _increase(err_v4, 2 * h, 0 * h) / (
        _increase(err_v4, 2 * h, 0 * h) + _increase(ok_v4, 2 * h, 0 * h)
    )
    before = _increase(err_v3, 6 * h, 4 * h) / (
        _increase(err_v3, 6 * h, 4 * h) + _increase(ok_v3, 6 * h, 4 * h)
    )
    assert before == pytest.approx(0.002, rel=0.2)
    assert after == pytest.approx(0.024, rel=0.2)
    assert ok_v4[0][0] == int((ANCHOR - 3 * h).timestamp())  # v4 serves from the incident start on
    assert ok_v3[-1][0] < ok_v4[0][0]


def test_feature_freshness_stops_for_the_stale_view(rendered: tuple[Path, int, Series]) -> None:
    series = rendered[2]
    name = "feast_feature_view_last_materialization_timestamp_seconds"
    [stale] = _select(series, name, feature_view="payout_stats")
    [fresh] = _select(series, name, feature_view="txn_velocity")
    assert _at(stale, timedelta(0)) == (ANCHOR - timedelta(hours=9)).timestamp()
    assert _at(stale, timedelta(hours=-2)) == (ANCHOR - timedelta(hours=9)).timestamp()
    assert _at(fresh, timedelta(0)) == (ANCHOR - timedelta(minutes=8)).timestamp()
    assert _at(fresh, timedelta(hours=-1)) > ANCHOR.timestamp()  # healthy views keep materializing


def test_drift_incidents_move_psi(rendered: tuple[Path, int, Series]) -> None:
    series = rendered[2]
    [drift] = _select(series, "model_feature_psi", model="chargeback-risk", feature="cross_border_share")
    assert _at(drift, timedelta(hours=8)) < 0.1
    assert _at(drift, timedelta(0)) > 0.38
    [skew] = _select(series, "model_prediction_psi", model="ato-detector")
    assert _at(skew, timedelta(hours=21)) < 0.1 < 0.2 < _at(skew, timedelta(0))


def test_oom_cpu_saturation_and_idle_gpu(rendered: tuple[Path, int, Series]) -> None:
    series = rendered[2]
    h = timedelta(hours=1)
    [restarts] = _select(
        series, "kube_pod_container_status_restarts_total", container="chargeback-batch-scoring"
    )
    [reason] = _select(
        series, "kube_pod_container_status_last_terminated_reason", container="chargeback-batch-scoring"
    )
    [mem] = _select(series, "container_memory_working_set_bytes", container="chargeback-batch-scoring")
    assert _at(restarts, 3 * h) == 0 and _at(restarts, 0 * h) >= 2
    assert _at(reason, 3 * h) == 0 and _at(reason, 0 * h) == 1
    assert max(v for _, v in mem) == 16 * 2**30
    for throttled, periods in zip(
        _select(series, "container_cpu_cfs_throttled_periods_total", container="risk-gateway"),
        _select(series, "container_cpu_cfs_periods_total", container="risk-gateway"),
        strict=True,
    ):
        assert _increase(throttled, h, 0 * h) / _increase(periods, h, 0 * h) > 0.5
        assert _increase(throttled, 4 * h, 3 * h) / _increase(periods, 4 * h, 3 * h) < 0.1
    [idle] = _select(series, "DCGM_FI_DEV_GPU_UTIL", container="fraud-retrain-gpu")
    assert max(v for _, v in idle) < 2
    [busy, *_] = _select(series, "DCGM_FI_DEV_GPU_UTIL", container="embedding-trainer")
    assert sum(v for _, v in busy) / len(busy) > 50


@pytest.mark.integration
def test_promtool_backfills_the_chunks(tmp_path: Path, rendered: tuple[Path, int, Series]) -> None:
    chunks = render_openmetrics_chunks(_world(), ANCHOR, tmp_path / "chunks")
    backfill(chunks, tmp_path / "data")
    listing = subprocess.run(
        ["promtool", "tsdb", "list", str(tmp_path / "data")], capture_output=True, text=True, check=True
    ).stdout
    samples = sum(int(line.split()[4]) for line in listing.splitlines()[1:])
    assert samples == rendered[1]
