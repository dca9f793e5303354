"""Off-hours idle detection: capacity busy in working hours and idle on nights and weekends.

Usage is read as an hour-of-day profile in the configured time zone (``REFERENT_TIMEZONE``, UTC by
default): the weekday mean per local hour and the weekend mean. Active hours are the weekday hours
whose mean usage reaches ``active_share`` of the busiest hour, widened to cover the business hours
(``REFERENT_BUSINESS_HOURS``) when given; the workload is *off-hours idle* when the mean outside those
hours (and on weekends, if they are idle too) stays below ``idle_ratio`` of the working-hours mean. The
proposal is a scale-to-zero schedule: down at the end of the working day, up at its start (weekdays
only when weekends are idle).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from agents.rightsizing.usage import Points

LOCAL_TZ = "UTC"
HOURS_PER_WEEK = 168.0
MIN_HOURS = 20  # hours of day with data needed (a sparse series may miss a few)


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


@dataclass(frozen=True)
class HourProfile:
    """Mean usage per local hour of day on weekdays, mean on weekends, and days of history behind it."""

    weekday: dict[int, float]
    weekend: float | None
    history_days: float


def profile_of_points(points: Points, tz_name: str = LOCAL_TZ) -> HourProfile:
    """Build an :class:`HourProfile` from ``(unix seconds, usage)`` samples."""
    tz = ZoneInfo(tz_name)
    weekday: dict[int, list[float]] = defaultdict(list)
    weekend: list[float] = []
    for ts, value in points:
        local = datetime.fromtimestamp(ts, tz)
        (weekend if local.weekday() >= 5 else weekday[local.hour]).append(value)
    span = (max(p[0] for p in points) - min(p[0] for p in points)) / 86400 if points else 0.0
    return HourProfile(
        weekday={h: statistics.fmean(v) for h, v in weekday.items()},
        weekend=statistics.fmean(weekend) if weekend else None,
        history_days=span,
    )


def detect_off_hours(
    profile: HourProfile,
    *,
    tz_name: str = LOCAL_TZ,
    min_days: float = 3.0,
    active_share: float = 0.25,
    idle_ratio: float = 0.1,
    business_hours: tuple[int, int] | None = None,
) -> OffHoursPattern | None:
    """Find a nights/weekends idle pattern in an hour-of-day usage profile; None when there is none.

    Args:
        profile: weekday means per local hour (at least :data:`MIN_HOURS` of them), weekend mean, history.
        tz_name: the time zone the profile's hours are in.
        min_days: history needed before a pattern is trusted.
        active_share: an hour is active when its mean reaches this share of the busiest hour's mean.
        idle_ratio: off-hours mean must stay below this share of the working-hours mean.
        business_hours: (start, end) local hours the schedule must keep up, when given.
    """
    means = profile.weekday
    if profile.history_days < min_days or len(means) < MIN_HOURS:
        return None
    peak = max(means.values())
    if peak <= 0:
        return None
    active = sorted(h for h, m in means.items() if m >= active_share * peak)
    start, end = active[0], active[-1] + 1
    if business_hours is not None:
        start, end = min(start, business_hours[0]), max(end, business_hours[1])
    if end - start >= 20:
        return None
    busy_mean = statistics.fmean(means[h] for h in range(start, end) if h in means)
    nights = [m for h, m in means.items() if not start <= h < end]
    if not nights:
        return None
    night_mean = statistics.fmean(nights)
    if night_mean > idle_ratio * busy_mean:
        return None
    weekends_idle = profile.weekend is not None and profile.weekend <= idle_ratio * busy_mean
    idle = night_mean
    if weekends_idle and profile.weekend is not None:  # hours-weighted: 5 weekday nights + 48 weekend hours
        idle = (5 * sum(nights) + 48 * profile.weekend) / (5 * len(nights) + 48)
    return OffHoursPattern(
        start_hour=start,
        end_hour=end,
        weekends_idle=weekends_idle,
        busy_mean=busy_mean,
        idle_mean=idle,
        timezone=tz_name,
    )
