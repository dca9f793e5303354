"""Read Prometheus answers as triage needs them: instant samples and range-series summaries.

``prometheus.query_range`` never returns raw points: each series comes back summarized (count, min, max,
mean, quantiles, first/last point and level shifts found by the tool's windowed mean-shift test; see
:mod:`tools.prometheus.summary`). This module parses those summaries into small typed views and picks
the level shift that matters for an incident (upward, the largest relative change, nearest the start).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class Shift:
    """A level shift of a series: the mean before ``at`` and after it."""

    at: datetime
    before: float
    after: float
    score: float

    @property
    def relative(self) -> float:
        """``after / before - 1`` (``inf`` when the series rose from zero)."""
        if self.before == 0:
            return math.inf if self.after > 0 else 0.0
        return self.after / self.before - 1

    @property
    def up(self) -> bool:
        return self.after > self.before


@dataclass(frozen=True)
class SeriesView:
    """One summarized range series."""

    labels: dict[str, str]
    count: int = 0
    minimum: float | None = None
    maximum: float | None = None
    mean: float | None = None
    first_at: datetime | None = None
    last: float | None = None
    last_at: datetime | None = None
    shifts: list[Shift] = field(default_factory=list)


def parse_time(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), tz=UTC)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _num(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def _point(raw: Any) -> tuple[datetime | None, float | None]:
    if isinstance(raw, list | tuple) and len(raw) == 2:
        return parse_time(raw[0]), _num(raw[1])
    return None, None


def range_views(data: Any) -> list[SeriesView]:
    """The series of a ``prometheus.query_range`` answer (``{"series": [summary, ...]}``)."""
    views = []
    for s in (data or {}).get("series", []) if isinstance(data, dict) else []:
        first_at, _ = _point(s.get("first"))
        last_at, last = _point(s.get("last"))
        shifts = [
            Shift(at=t, before=float(c["before_mean"]), after=float(c["after_mean"]), score=float(c["score"]))
            for c in s.get("change_points") or []
            if (t := parse_time(c.get("ts"))) is not None
        ]
        views.append(
            SeriesView(
                labels=dict(s.get("labels") or {}),
                count=int(s.get("count") or 0),
                minimum=_num(s.get("min")),
                maximum=_num(s.get("max")),
                mean=_num(s.get("mean")),
                first_at=first_at,
                last=last,
                last_at=last_at,
                shifts=shifts,
            )
        )
    return views


def instant_values(data: Any) -> list[tuple[dict[str, str], float]]:
    """``(labels, value)`` of a ``prometheus.query`` answer (``{"samples": [...]}``), finite values only."""
    out = []
    for s in (data or {}).get("samples", []) if isinstance(data, dict) else []:
        value = _num(s.get("value"))
        if value is not None:
            out.append((dict(s.get("labels") or {}), value))
    return out


def rise(view: SeriesView, *, min_relative: float, near: datetime | None = None) -> Shift | None:
    """The upward shift of at least ``min_relative`` to report: nearest ``near`` if given, else largest."""
    ups = [s for s in view.shifts if s.up and s.relative >= min_relative]
    if not ups:
        return None
    if near is not None:
        return min(ups, key=lambda s: abs((s.at - near).total_seconds()))
    return max(ups, key=lambda s: s.relative)


def close(a: datetime | None, b: datetime | None, seconds: float) -> bool:
    """True when both times are known and at most ``seconds`` apart."""
    return a is not None and b is not None and abs((a - b).total_seconds()) <= seconds
