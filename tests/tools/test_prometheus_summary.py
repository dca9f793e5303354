"""Series summaries and change points."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from tools.prometheus import RangeSeries
from tools.prometheus.summary import quantile, summarize

T0 = datetime(2026, 11, 27, tzinfo=UTC)


def _series(values: list[float]) -> RangeSeries:
    return RangeSeries(
        labels={"model": "m"}, points=[(T0 + timedelta(minutes=5 * i), v) for i, v in enumerate(values)]
    )


def test_basic_statistics_and_nan_handling() -> None:
    s = summarize(_series([1.0, 2.0, float("nan"), 3.0, 4.0]))
    assert (s.count, s.non_finite, s.min, s.max, s.mean) == (4, 1, 1.0, 4.0, 2.5)
    assert s.p50 == pytest.approx(2.5)
    assert s.first == (T0, 1.0) and s.last is not None and s.last[1] == 4.0


def test_quantile_matches_linear_interpolation() -> None:
    assert quantile([0.0, 10.0], 0.95) == pytest.approx(9.5)
    assert quantile(list(map(float, range(101))), 0.99) == pytest.approx(99.0)


def test_step_is_a_change_point_with_before_and_after_means() -> None:
    rng = random.Random(1)
    values = [0.002 + rng.gauss(0, 0.0002) for _ in range(300)] + [
        0.024 + rng.gauss(0, 0.0005) for _ in range(36)
    ]
    [cp] = summarize(_series(values)).change_points
    assert cp.ts == T0 + timedelta(minutes=5 * 300)
    assert cp.before_mean == pytest.approx(0.002, rel=0.1)
    assert cp.after_mean == pytest.approx(0.024, rel=0.1)


def test_diurnal_swing_is_not_a_change_point() -> None:
    rng = random.Random(2)
    values = [
        1.1 * (1 + 0.4 * math.sin(2 * math.pi * i / 288)) * (1 + rng.gauss(0, 0.05)) for i in range(288 * 14)
    ]
    assert summarize(_series(values)).change_points == []


def test_constant_and_empty_series() -> None:
    assert summarize(_series([2.0] * 50)).change_points == []
    empty = summarize(_series([]))
    assert empty.count == 0 and empty.mean is None
