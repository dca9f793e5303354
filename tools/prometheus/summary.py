"""Summaries of Prometheus range series, so that a tool returns a few numbers instead of every point.

A :class:`SeriesSummary` holds the count, min / max / mean, p50 / p95 / p99, the first and last points
and up to ``max_change_points`` level shifts. Change points are found with a windowed mean-shift test:
at each candidate point the mean of the ``window`` points after it is compared with the mean of the
``window`` points before it, in units of the series' robust spread (1.4826 x the median absolute
deviation of all points). Points whose score exceeds ``threshold`` and is the largest within one window
either side are reported, strongest first, each with the means of the whole segments before and after
it. Slow swings (a diurnal cycle) move the window means far less than the overall spread and are not
reported; a step (an error ratio jumping tenfold) is.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

from pydantic import BaseModel, Field


class ChangePoint(BaseModel):
    """A level shift: the series' mean before ``ts`` (since the previous change) and after it."""

    ts: datetime
    before_mean: float
    after_mean: float
    score: float = Field(description="shift in robust standard deviations")


class SeriesSummary(BaseModel):
    """Numbers describing one range series; NaN / Inf points are counted apart and left out."""

    labels: dict[str, str]
    count: int
    non_finite: int = 0
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    first: tuple[datetime, float] | None = None
    last: tuple[datetime, float] | None = None
    change_points: list[ChangePoint] = Field(default_factory=list)


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolated quantile of already sorted values (the same rule as numpy's default)."""
    if not sorted_values:
        raise ValueError("quantile of no values")
    pos = (len(sorted_values) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


class SeriesLike(Protocol):
    """Anything with labels and time-ordered ``(timestamp, value)`` points (e.g. ``RangeSeries``)."""

    @property
    def labels(self) -> dict[str, str]: ...

    @property
    def points(self) -> Sequence[tuple[datetime, float]]: ...


def summarize(series: SeriesLike, *, max_change_points: int = 3, threshold: float = 4.0) -> SeriesSummary:
    """Summarize one series.

    Args:
        series: labels and time-ordered ``(timestamp, value)`` points.
        max_change_points: report at most this many level shifts.
        threshold: minimum shift, in robust standard deviations, for a change point.
    """
    points = series.points
    finite = [(t, v) for t, v in points if math.isfinite(v)]
    summary = SeriesSummary(
        labels=dict(series.labels), count=len(finite), non_finite=len(points) - len(finite)
    )
    if not finite:
        return summary
    values = [v for _, v in finite]
    ordered = sorted(values)
    summary.min, summary.max = ordered[0], ordered[-1]
    summary.mean = statistics.fmean(values)
    summary.p50, summary.p95, summary.p99 = (quantile(ordered, q) for q in (0.5, 0.95, 0.99))
    summary.first, summary.last = finite[0], finite[-1]
    summary.change_points = change_points(finite, max_points=max_change_points, threshold=threshold)
    return summary


def change_points(
    points: Sequence[tuple[datetime, float]],
    *,
    max_points: int = 3,
    threshold: float = 4.0,
    window: int | None = None,
) -> list[ChangePoint]:
    """Level shifts in finite ``points`` (see the module docstring), strongest first."""
    values = [v for _, v in points]
    n = len(values)
    w = window or min(30, max(3, n // 20))
    if n < 6:
        return []
    scale = _robust_scale(values)
    if scale == 0.0:
        return []
    prefix = [0.0]
    for v in values:
        prefix.append(prefix[-1] + v)
    scores = [0.0] * n
    for i in range(3, n - 2):
        lo, hi = max(0, i - w), min(n, i + w)
        before = (prefix[i] - prefix[lo]) / (i - lo)
        after = (prefix[hi] - prefix[i]) / (hi - i)
        scores[i] = abs(after - before) / scale
    peaks = [
        i
        for i in range(n)
        if scores[i] > threshold and scores[i] == max(scores[max(0, i - w) : min(n, i + w + 1)])
    ]
    peaks = _dedupe(sorted(peaks, key=lambda i: -scores[i]), w)[:max_points]
    bounds = [0, *sorted(peaks), n]
    segment_mean = {
        bounds[k]: (prefix[bounds[k + 1]] - prefix[bounds[k]]) / (bounds[k + 1] - bounds[k])
        for k in range(len(bounds) - 1)
    }
    result = []
    for i in peaks:
        prev = max(b for b in bounds if b < i)
        result.append(
            ChangePoint(
                ts=_aware(points[i][0]),
                before_mean=segment_mean[prev],
                after_mean=segment_mean[i],
                score=round(scores[i], 2),
            )
        )
    return result


def _robust_scale(values: Sequence[float]) -> float:
    med = statistics.median(values)
    mad = statistics.median(abs(v - med) for v in values)
    if mad > 0:
        return 1.4826 * mad
    spread = statistics.pstdev(values)
    return spread if spread > 0 else 0.0


def _dedupe(candidates: list[int], w: int) -> list[int]:
    kept: list[int] = []
    for i in candidates:
        if all(abs(i - k) > w for k in kept):
            kept.append(i)
    return kept


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)
