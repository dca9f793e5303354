"""Feature view descriptions and materialization freshness, from a view's TTL and ``schedule`` tag.

Pure helpers over Feast ``FeatureView`` objects (duck-typed): nothing here imports the SDK.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from tools.feast_store.models import FeatureInfo, FeatureViewInfo, FreshnessStatus, ViewFreshness

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_schedule(value: str | None) -> timedelta | None:
    """Parse a ``schedule`` tag (``90s``, ``15m``, ``2h``, ``1d``, ``1w``); None when absent or malformed."""
    match = _DURATION.match(value or "")
    if not match:
        return None
    return timedelta(seconds=float(match.group(1)) * _UNIT_S[match.group(2)])


def classify_freshness(
    age: timedelta | None, ttl: timedelta | None, schedule: timedelta | None
) -> tuple[FreshnessStatus, str]:
    """Status of a view: ``stale`` past its TTL, ``late`` past twice its schedule, else ``fresh``.

    Args:
        age: time since the last materialization end (None: never materialized).
        ttl: the view's TTL (None or zero: no TTL).
        schedule: expected materialization cadence (None: unknown).

    Returns:
        (status, a one-line reason naming the numbers compared).
    """
    if age is None:
        return "never", "no materialization recorded in the registry"
    ttl = ttl if ttl and ttl > timedelta(0) else None
    if ttl is not None and age > ttl:
        return "stale", f"age {_fmt(age)} exceeds ttl {_fmt(ttl)}"
    if schedule is not None and age > 2 * schedule:
        return "late", f"age {_fmt(age)} exceeds 2x schedule {_fmt(schedule)}"
    bound = f"2x schedule {_fmt(schedule)}" if schedule else f"ttl {_fmt(ttl)}" if ttl else "no bound"
    return "fresh", f"age {_fmt(age)} within {bound}"


def _fmt(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


def as_utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime (naive values are taken to be UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_seconds(value: timedelta | None) -> float | None:
    """``value`` in seconds, None stays None."""
    return value.total_seconds() if value is not None else None


def view_info(fv: Any) -> FeatureViewInfo:
    """Describe a Feast ``FeatureView``; a zero TTL is reported as no TTL."""
    tags = {str(k): str(v) for k, v in (fv.tags or {}).items()}
    ttl = fv.ttl if fv.ttl and fv.ttl > timedelta(0) else None
    return FeatureViewInfo(
        name=fv.name,
        entities=list(fv.entities),
        join_keys=[c.name for c in fv.entity_columns],
        features=[FeatureInfo(name=f.name, dtype=str(f.dtype)) for f in fv.features],
        ttl_s=to_seconds(ttl),
        schedule_s=to_seconds(parse_schedule(tags.get("schedule"))),
        online=bool(fv.online),
        owner=fv.owner or tags.get("owner", ""),
        tags=tags,
        description=fv.description or "",
    )


def view_freshness(fv: Any, now: datetime) -> ViewFreshness:
    """Last materialization end, age at ``now`` and :func:`classify_freshness` status of a view."""
    info = view_info(fv)
    end = fv.most_recent_end_time
    end = as_utc(end) if end else None
    age = now - end if end else None
    ttl = timedelta(seconds=info.ttl_s) if info.ttl_s else None
    schedule = timedelta(seconds=info.schedule_s) if info.schedule_s else None
    status, reason = classify_freshness(age, ttl, schedule)
    return ViewFreshness(
        feature_view=fv.name,
        last_materialized_end=end,
        age_s=to_seconds(age),
        ttl_s=info.ttl_s,
        schedule_s=info.schedule_s,
        status=status,
        reason=reason,
    )
