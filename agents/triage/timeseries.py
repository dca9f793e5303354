"""Small, pure time-series analysis for triage: summaries, before/after comparison, change points.

A series is a list of ``(unix_seconds, value)`` points in time order. The change-point detector is a
single mean-shift split (the first step of binary segmentation): for every split ``k`` it computes the
two-sample t statistic of the segments' means with a pooled standard deviation and keeps the largest.
A shift counts when the statistic is at least ``min_score`` and the relative change at least
``min_relative`` — both needed, because a perfectly flat series makes any tiny step "significant".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

Point = tuple[float, float]


@dataclass(frozen=True)
class ChangePoint:
    """A mean shift: ``at`` is the first point of the new regime."""

    at: datetime
    before: float
    after: float
    score: float

    @property
    def relative(self) -> float:
        """``after / before - 1`` (``inf`` when the series starts at zero)."""
        if self.before == 0:
            return math.inf if self.after > 0 else 0.0
        return self.after / self.before - 1

    @property
    def direction(self) -> str:
        return "up" if self.after > self.before else "down"


@dataclass(frozen=True)
class Summary:
    first: float
    last: float
    minimum: float
    maximum: float
    mean: float
    n: int


def to_datetime(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def clean(points: list[Point]) -> list[Point]:
    """Finite points only, in time order."""
    return sorted((t, v) for t, v in points if math.isfinite(v))


def summarize(points: list[Point]) -> Summary | None:
    pts = clean(points)
    if not pts:
        return None
    values = [v for _, v in pts]
    return Summary(values[0], values[-1], min(values), max(values), sum(values) / len(values), len(values))


def mean_between(points: list[Point], start: float, end: float) -> float | None:
    """Mean of the values with ``start <= t < end`` (None when there are none)."""
    values = [v for t, v in clean(points) if start <= t < end]
    return sum(values) / len(values) if values else None


def change_point(points: list[Point], *, min_segment: int = 3, min_score: float = 4.0,
                 min_relative: float = 0.3) -> ChangePoint | None:
    """The strongest single mean shift in ``points``, or None when there is none worth reporting.

    Args:
        points: the series.
        min_segment: fewest points on each side of the split.
        min_score: least t statistic of the split.
        min_relative: least relative change of the mean (``|after - before| / max(|before|, eps)``).
    """
    pts = clean(points)
    n = len(pts)
    if n < 2 * min_segment:
        return None
    values = [v for _, v in pts]
    prefix, prefix_sq = [0.0], [0.0]
    for v in values:
        prefix.append(prefix[-1] + v)
        prefix_sq.append(prefix_sq[-1] + v * v)
    best: tuple[float, int] | None = None
    for k in range(min_segment, n - min_segment + 1):
        score = _split_score(prefix, prefix_sq, k, n)
        if best is None or score > best[0]:
            best = (score, k)
    if best is None:
        return None
    score, k = best
    before, after = prefix[k] / k, (prefix[n] - prefix[k]) / (n - k)
    scale = max(abs(before), abs(after) * 0.01, 1e-12)
    if score < min_score or abs(after - before) / scale < min_relative:
        return None
    return ChangePoint(at=to_datetime(pts[k][0]), before=before, after=after, score=round(score, 2))


def _split_score(prefix: list[float], prefix_sq: list[float], k: int, n: int) -> float:
    n1, n2 = k, n - k
    m1, m2 = prefix[k] / n1, (prefix[n] - prefix[k]) / n2
    ss1 = prefix_sq[k] - n1 * m1 * m1
    ss2 = (prefix_sq[n] - prefix_sq[k]) - n2 * m2 * m2
    pooled = math.sqrt(max(ss1 + ss2, 0.0) / max(n - 2, 1))
    # a floor on the noise keeps a flat-then-step series finite while still ranking the split first
    pooled = max(pooled, 1e-3 * max(abs(m1), abs(m2), 1e-9))
    return abs(m2 - m1) / (pooled * math.sqrt(1 / n1 + 1 / n2))


def near(a: datetime | None, b: datetime | None, seconds: float) -> bool:
    """True when both times are known and at most ``seconds`` apart."""
    return a is not None and b is not None and abs((a - b).total_seconds()) <= seconds
