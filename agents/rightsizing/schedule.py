"""Off-hours idle detection: capacity busy in working hours and idle on nights and weekends.

Usage samples are bucketed by local hour of day (America/Sao_Paulo by default) on weekdays and by
weekend. Active hours are the weekday hours whose mean usage reaches ``active_share`` of the busiest
hour; the workload is *off-hours idle* when the mean outside those hours (and on weekends, if they are
idle too) stays below ``idle_ratio`` of the working-hours mean. The proposal is a scale-to-zero
schedule: down at the end of the working day, up at its start (weekdays only when weekends are idle).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from agents.rightsizing.usage import Points

LOCAL_TZ = "America/Sao_Paulo"
HOURS_PER_WEEK = 168.0


@dataclass(frozen=True)
class OffHoursPattern:
    """A detected working-hours window (local time) and how idle the rest of the week is."""

    start_hour: int
    end_hour: int
    weekends_idle: bool
    busy_mean: float
    idle_mean: float
    timezone: str = LOCAL_TZ

    @property
    def off_share(self) -> float:
        """Fraction of the week that would be scaled to zero."""
        daily_off = 24 - (self.end_hour - self.start_hour)
        off = 5 * daily_off + (48 if self.weekends_idle else 2 * daily_off)
        return off / HOURS_PER_WEEK

    @property
    def scale_down_cron(self) -> str:
        return f"0 {self.end_hour % 24} * * {'1-5' if self.weekends_idle else '*'}"

    @property
    def scale_up_cron(self) -> str:
        return f"0 {self.start_hour} * * {'1-5' if self.weekends_idle else '*'}"


def _hour_profile(points: Points, tz: ZoneInfo) -> tuple[dict[int, list[float]], list[float]]:
    weekday: dict[int, list[float]] = defaultdict(list)
    weekend: list[float] = []
    for ts, value in points:
        local = datetime.fromtimestamp(ts, tz)
        if local.weekday() >= 5:
            weekend.append(value)
        else:
            weekday[local.hour].append(value)
    return weekday, weekend


def detect_off_hours(points: Points, *, tz_name: str = LOCAL_TZ, min_days: float = 3.0,
                     active_share: float = 0.25, idle_ratio: float = 0.1) -> OffHoursPattern | None:
    """Find a nights/weekends idle pattern in usage ``points``; None when there is none.

    Args:
        points: ``(unix seconds, usage)`` samples.
        tz_name: the time zone working hours are read in.
        min_days: history needed before a pattern is trusted.
        active_share: an hour is active when its mean reaches this share of the busiest hour's mean.
        idle_ratio: off-hours mean must stay below this share of the working-hours mean.
    """
    if len(points) < 2 or (max(p[0] for p in points) - min(p[0] for p in points)) < min_days * 86400:
        return None
    weekday, weekend = _hour_profile(points, ZoneInfo(tz_name))
    if len(weekday) < 24:
        return None
    means = {h: statistics.fmean(v) for h, v in weekday.items()}
    peak = max(means.values())
    if peak <= 0:
        return None
    active = sorted(h for h, m in means.items() if m >= active_share * peak)
    start, end = active[0], active[-1] + 1
    if end - start >= 20:
        return None
    busy = [v for h in range(start, end) for v in weekday[h]]
    nights = [v for h, vals in weekday.items() if not start <= h < end for v in vals]
    busy_mean, night_mean = statistics.fmean(busy), statistics.fmean(nights)
    if night_mean > idle_ratio * busy_mean:
        return None
    weekends_idle = bool(weekend) and statistics.fmean(weekend) <= idle_ratio * busy_mean
    idle = nights + (weekend if weekends_idle else [])
    return OffHoursPattern(start_hour=start, end_hour=end, weekends_idle=weekends_idle,
                           busy_mean=busy_mean, idle_mean=statistics.fmean(idle), timezone=tz_name)
