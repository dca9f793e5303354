"""The Feast sandbox builder: generated offline data, definitions and the real build (integration)."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from evals.sandbox.feast_world import (
    MARKER_FILE,
    MAX_ROWS_PER_VIEW,
    build_feast_repo,
    definitions_source,
    format_duration,
    offline_frame,
)
from evals.worlds.schema import World, anchor_now, load_world

ANCHOR = anchor_now(timedelta(minutes=5), datetime.fromisoformat("2026-11-27T12:03:00+00:00"))


@pytest.fixture(scope="module")
def world() -> World:
    return load_world("demo")


def test_format_duration() -> None:
    assert [format_duration(timedelta(seconds=s)) for s in (900, 7200, 86400, 90, 1209600)] == [
        "15m",
        "2h",
        "1d",
        "90s",
        "2w",
    ]


def test_offline_frames_are_bounded_and_deterministic(world: World) -> None:
    for view in world.feature_views:
        frame = offline_frame(world, view, ANCHOR)
        assert len(frame) <= MAX_ROWS_PER_VIEW
        assert frame[view.join_key].nunique() == view.n_entities
        assert list(frame.columns) == [view.join_key, "event_timestamp", *(f.name for f in view.features)]
        assert frame["event_timestamp"].max() < pd.Timestamp(ANCHOR)
        assert (frame["event_timestamp"].dt.second == 17).all()  # never on a materialization boundary
        gaps = frame.groupby(view.join_key)["event_timestamp"].diff().dropna()
        assert gaps.max() <= view.ttl / 2
        pd.testing.assert_frame_equal(frame, offline_frame(world, view, ANCHOR))


def test_offline_values_follow_the_feature_spec(world: World) -> None:
    view = world.feature_view("txn_velocity")
    frame = offline_frame(world, view, ANCHOR)
    amount = next(f for f in view.features if f.name == "txn_amount_sum_24h")
    assert frame[amount.name].mean() == pytest.approx(amount.mean, rel=0.25)
    assert frame["txn_count_1h"].dtype == "int64" and (frame["txn_count_1h"] >= 0).all()


def test_input_drift_shifts_offline_values_after_the_incident(world: World) -> None:
    incident = world.incidents_of("input_drift")[0]
    assert incident.feature_view and incident.feature
    view = world.feature_view(incident.feature_view)
    frame = offline_frame(world, view, ANCHOR)
    since = pd.Timestamp(ANCHOR - incident.start_ago)
    feature = next(f for f in view.features if f.name == incident.feature)
    shift = (
        frame.loc[frame.event_timestamp >= since, feature.name].mean()
        - frame.loc[frame.event_timestamp < since, feature.name].mean()
    )
    assert shift == pytest.approx(math.sqrt(incident.magnitude) * feature.std, rel=0.35)


def test_definitions_source_declares_every_view(world: World) -> None:
    source = definitions_source(world)
    compile(source, "feature_definitions.py", "exec")
    for view in world.feature_views:
        assert f"name={view.name!r}" in source
        assert f"'schedule': {format_duration(view.schedule)!r}" in source
    assert source.count("Entity(") == len({v.entity for v in world.feature_views})


@pytest.mark.integration
def test_build_is_reused_for_the_same_anchor_and_rebuilt_for_another(world: World, tmp_path: Path) -> None:
    from feast import FeatureStore

    anchor = anchor_now(world.step)
    repo = build_feast_repo(world, anchor, tmp_path / "repo")
    registry = repo / "data" / "registry.db"
    built_at = registry.stat().st_mtime_ns
    assert build_feast_repo(world, anchor, tmp_path / "repo") == repo
    assert registry.stat().st_mtime_ns == built_at

    later = anchor + world.step
    build_feast_repo(world, later, repo)
    assert json.loads((repo / MARKER_FILE).read_text())["anchor"] == later.isoformat()
    ends = {fv.name: fv.most_recent_end_time for fv in FeatureStore(repo_path=str(repo)).list_feature_views()}
    assert ends == {v.name: later - v.last_materialized_ago for v in world.feature_views}
