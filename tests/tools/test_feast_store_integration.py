"""The Feast tool against a real local Feast repository built from the demo world."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from evals.sandbox.feast_world import build_feast_repo
from evals.worlds.schema import World, anchor_now, load_world
from tools.errors import BadInput, NotFound, SourceUnavailable
from tools.feast_store import FeastTool, specs

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def world() -> World:
    return load_world("demo")


@pytest.fixture(scope="module")
def anchor(world: World) -> datetime:
    return anchor_now(world.step)


@pytest.fixture(scope="module")
def repo(world: World, anchor: datetime, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_feast_repo(world, anchor, tmp_path_factory.mktemp("feast") / "repo")


@pytest.fixture(scope="module")
def tool(repo: Path, anchor: datetime) -> FeastTool:
    # The world's "now" is its anchor: ages are then exactly the world's *_ago values.
    return FeastTool(repo, clock=lambda: anchor)


@pytest.fixture
def repo_copy(repo: Path, tmp_path: Path) -> Path:
    """A private copy for tests that write (paths inside the repository are relative)."""
    return Path(shutil.copytree(repo, tmp_path / "repo"))


def test_lists_the_world_views(tool: FeastTool, world: World) -> None:
    views = {v.name: v for v in tool.list_feature_views()}
    assert set(views) == {v.name for v in world.feature_views}
    txn = views["txn_velocity"]
    assert txn.entities == ["card"] and txn.join_keys == ["card_id"]
    assert txn.ttl_s == 7200 and txn.schedule_s == 900 and txn.tags["schedule"] == "15m"
    assert {f.name: f.dtype for f in txn.features} == {
        "txn_count_1h": "Int64",
        "txn_amount_sum_24h": "Float64",
        "distinct_merchants_24h": "Int64",
    }
    assert tool.feature_view("payout_stats").owner == "ml-platform"


def test_freshness_tells_the_world_story(tool: FeastTool, anchor: datetime) -> None:
    report = {v.feature_view: v for v in tool.freshness().views}
    assert report["payout_stats"].status == "stale"
    assert report["payout_stats"].last_materialized_end == anchor - timedelta(hours=9)
    assert report["txn_velocity"].status == "fresh"
    assert report["txn_velocity"].age_s == 8 * 60
    assert {name for name, v in report.items() if v.status != "fresh"} == {"payout_stats"}
    assert [v.feature_view for v in tool.freshness("login_activity").views] == ["login_activity"]


def test_parity_finds_the_injected_skew(tool: FeastTool, world: World) -> None:
    report = tool.parity("login_activity", sample_size=50)
    assert report.sampled_keys == 50
    assert report.skewed_features == ["login_activity:failed_logins_24h"]
    skewed = next(f for f in report.features if f.feature == "login_activity:failed_logins_24h")
    incident = world.incidents_of("online_offline_skew")[0]
    assert skewed.mismatch_rate > 0.7
    assert skewed.max_abs_diff == round(incident.magnitude * 1.2)
    assert skewed.example_keys and skewed.example_keys[0].startswith("account_id=account_")


def test_parity_clean_view(tool: FeastTool) -> None:
    report = tool.parity("txn_velocity", sample_size=30)
    assert report.skewed_features == []
    assert all(f.compared == 30 and f.mismatches == 0 and f.missing_online == 0 for f in report.features)


def test_materialize_moves_freshness(repo_copy: Path, anchor: datetime) -> None:
    tool = FeastTool(repo_copy, clock=lambda: anchor)
    assert tool.freshness("payout_stats").views[0].status == "stale"
    result = tool.materialize("payout_stats", anchor - timedelta(hours=9), anchor)
    assert result.freshness.status == "fresh"
    assert result.freshness.last_materialized_end == anchor
    assert FeastTool(repo_copy, clock=lambda: anchor).freshness("payout_stats").views[0].age_s == 0
    assert tool.parity("payout_stats", sample_size=20).skewed_features == []


def test_materialize_incremental(repo_copy: Path, anchor: datetime) -> None:
    tool = FeastTool(repo_copy, clock=lambda: anchor)
    result = tool.materialize_incremental("payout_stats")
    assert result.start == anchor - timedelta(hours=9)
    assert result.freshness.status == "fresh"


def test_materialize_rejects_bad_intervals(tool: FeastTool, anchor: datetime) -> None:
    with pytest.raises(BadInput):
        tool.materialize("payout_stats", anchor, anchor - timedelta(hours=1))
    with pytest.raises(BadInput):
        tool.materialize("payout_stats", anchor - timedelta(hours=1), anchor + timedelta(hours=1))
    assert tool.freshness("payout_stats").views[0].status == "stale"


def test_unknown_view_is_not_found(tool: FeastTool, anchor: datetime) -> None:
    for call in (
        lambda: tool.feature_view("nope"),
        lambda: tool.freshness("nope"),
        lambda: tool.parity("nope"),
        lambda: tool.materialize("nope", anchor - timedelta(hours=1), anchor),
    ):
        with pytest.raises(NotFound) as info:
            call()
        assert info.value.source == "feast"


def test_spec_call_goes_through_the_input_model(tool: FeastTool) -> None:
    spec = next(s for s in specs(tool) if s.name == "feast.freshness")
    result = spec.func(spec.input_model.model_validate({"name": "payout_stats"}))
    assert result.views[0].status == "stale"


def test_missing_repository_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(SourceUnavailable):
        FeastTool(tmp_path / "nowhere").list_feature_views()


def test_broken_config_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "feature_store.yaml").write_text("project: [not, a, name\nprovider: ???\n")
    with pytest.raises(SourceUnavailable) as info:
        FeastTool(tmp_path).list_feature_views()
    assert info.value.source == "feast"


def test_corrupt_registry_is_unavailable(repo_copy: Path) -> None:
    (repo_copy / "data" / "registry.db").write_bytes(b"\x00not a protobuf registry\xff" * 10)
    with pytest.raises(SourceUnavailable):
        FeastTool(repo_copy).freshness()
