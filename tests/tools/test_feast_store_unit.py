"""Unit tests of the Feast tool that need no Feast repository: lazy import, classification, comparison."""

from __future__ import annotations

import math
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tools.base import ActionClass
from tools.errors import SourceUnavailable
from tools.feast_store import FeastTool, classify_freshness, compare_feature, parse_schedule, specs

REPO_ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_import_does_not_import_feast() -> None:
    code = (
        "import sys, tools.feast_store\n"
        "loaded = [m for m in sys.modules if m == 'feast' or m.startswith('feast.')]\n"
        "print(','.join(loaded))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"FEAST_USAGE": "False", "PATH": ""},
    )
    assert out.stdout.strip() == ""


def test_sdk_imported_without_typeguard_instrumentation_nor_its_warning_filters() -> None:
    code = (
        "import typeguard, warnings\n"
        "original, filters = typeguard.typechecked, list(warnings.filters)\n"
        "from tools.feast_store.tool import import_feature_store\n"
        "store = import_feature_store()\n"
        "import feast.feature_view as fv\n"
        "print(store.__name__, typeguard.typechecked is original,"
        " 'typeguard' in fv.FeatureView.__init__.__code__.co_names, warnings.filters == filters)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"FEAST_USAGE": "False", "PATH": ""},
    )
    assert out.stdout.split() == ["FeatureStore", "True", "False", "True"]


@pytest.mark.parametrize(
    ("age", "ttl", "schedule", "status"),
    [
        (None, timedelta(hours=2), timedelta(minutes=15), "never"),
        (timedelta(minutes=8), timedelta(hours=2), timedelta(minutes=15), "fresh"),
        (timedelta(minutes=30), timedelta(hours=2), timedelta(minutes=15), "fresh"),
        (timedelta(minutes=31), timedelta(hours=2), timedelta(minutes=15), "late"),
        (timedelta(hours=9), timedelta(hours=2), timedelta(minutes=30), "stale"),
        (timedelta(hours=3), timedelta(hours=2), None, "stale"),
        (timedelta(hours=3), None, None, "fresh"),
        (timedelta(hours=3), timedelta(0), timedelta(hours=1), "late"),  # ttl 0 means no TTL in Feast
    ],
)
def test_classify_freshness(
    age: timedelta | None, ttl: timedelta | None, schedule: timedelta | None, status: str
) -> None:
    got, reason = classify_freshness(age, ttl, schedule)
    assert got == status
    assert reason


def test_stale_wins_over_late() -> None:
    assert classify_freshness(timedelta(hours=5), timedelta(hours=2), timedelta(minutes=30))[0] == "stale"


def test_parse_schedule() -> None:
    assert parse_schedule("15m") == timedelta(minutes=15)
    assert parse_schedule("2h") == timedelta(hours=2)
    assert parse_schedule("1d") == timedelta(days=1)
    assert parse_schedule(None) is None
    assert parse_schedule("hourly") is None


def test_compare_feature_numbers_within_tolerance_match() -> None:
    got = compare_feature("v:f", ["a", "b", "c"], [1.0, 2.0000001, 3], [1.0, 2.0, 3], tolerance=1e-6)
    assert (got.compared, got.mismatches, got.mismatch_rate) == (3, 0, 0.0)
    assert got.max_abs_diff is not None and got.max_abs_diff < 1e-6


def test_compare_feature_counts_mismatches_and_missing() -> None:
    got = compare_feature(
        "v:f", ["a", "b", "c", "d"], [5, None, 2, float("nan")], [1, 3, 2, None], tolerance=1e-6
    )
    assert got.mismatches == 2  # a differs by 4, b is missing online; d is missing on both sides
    assert got.example_keys == ["a", "b"]
    assert got.max_abs_diff == 4
    assert (got.missing_online, got.missing_offline) == (2, 1)
    assert math.isclose(got.mismatch_rate, 0.5)


def test_compare_feature_strings_by_equality() -> None:
    got = compare_feature("v:s", ["a", "b"], ["x", "y"], ["x", "z"], tolerance=0.0)
    assert (got.mismatches, got.example_keys, got.max_abs_diff) == (1, ["b"], None)


class _FakeStore:
    """Just enough of ``FeatureStore`` for the freshness path (the real one is in the integration tests)."""

    def __init__(self, views: list[Any]) -> None:
        self.views = {v.name: v for v in views}

    def list_feature_views(self) -> list[Any]:
        return list(self.views.values())

    def get_feature_view(self, name: str) -> Any:
        return self.views[name]


def _fv(name: str, ago: timedelta | None, ttl: timedelta, schedule: str) -> Any:
    return SimpleNamespace(
        name=name,
        entities=["card"],
        entity_columns=[SimpleNamespace(name="card_id")],
        features=[SimpleNamespace(name="x", dtype="Float64")],
        ttl=ttl,
        online=True,
        owner="",
        tags={"schedule": schedule, "owner": "fraud-ml"},
        description="",
        most_recent_end_time=None if ago is None else NOW - ago,
    )


def test_freshness_uses_registry_end_and_clock() -> None:
    store = _FakeStore(
        [
            _fv("a", timedelta(minutes=8), timedelta(hours=2), "15m"),
            _fv("b", timedelta(minutes=45), timedelta(hours=2), "15m"),
            _fv("c", timedelta(hours=9), timedelta(hours=2), "30m"),
            _fv("d", None, timedelta(hours=2), "30m"),
        ]
    )
    tool = FeastTool(Path("unused"), store_factory=lambda _p: store, clock=lambda: NOW)
    report = tool.freshness()
    assert {v.feature_view: v.status for v in report.views} == {
        "a": "fresh",
        "b": "late",
        "c": "stale",
        "d": "never",
    }
    first = report.views[0]
    assert first.age_s == 480 and first.schedule_s == 900 and first.ttl_s == 7200
    assert tool.feature_view("a").owner == "fraud-ml"


def test_factory_failure_is_source_unavailable() -> None:
    def broken(_path: Path) -> Any:
        raise OSError("registry unreachable")

    tool = FeastTool(Path("unused"), store_factory=broken)
    with pytest.raises(SourceUnavailable) as info:
        tool.list_feature_views()
    assert info.value.source == "feast"


def test_specs_names_and_actions() -> None:
    tool = FeastTool(Path("unused"), store_factory=lambda _p: _FakeStore([]))
    got = {s.name: s.action for s in specs(tool)}
    assert got == {
        "feast.list_feature_views": ActionClass.READ,
        "feast.feature_view": ActionClass.READ,
        "feast.freshness": ActionClass.READ,
        "feast.parity": ActionClass.READ,
        "feast.materialize": ActionClass.WRITE,
    }
    assert all(s.source == "feast" for s in specs(tool))


class _Untouchable:
    """A stand-in for an unconfigured source: every attribute access raises."""

    def __getattribute__(self, name: str) -> Any:
        raise AssertionError(f"specs touched the tool: .{name}")


def test_specs_bind_without_touching_the_tool() -> None:
    built = specs(_Untouchable())  # type: ignore[arg-type]
    assert [s.name for s in built] == [
        "feast.list_feature_views",
        "feast.feature_view",
        "feast.freshness",
        "feast.parity",
        "feast.materialize",
    ]
    with pytest.raises(AssertionError, match="list_feature_views"):
        built[0].func(built[0].input_model())  # the tool is only reached when a tool runs
