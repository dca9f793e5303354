"""Settings of rightsizing and the FinOps report.

Two groups:

- :class:`BusinessCalendar` — ``REFERENT_TIMEZONE`` (IANA name, default ``UTC``) and
  ``REFERENT_BUSINESS_HOURS`` (``"08-20"``: local hours from 08:00 to 20:00), shared by every place that
  reasons about working hours (off-hours schedules, hour-of-day profiles).
- :class:`RightsizingSettings` — ``REFERENT_RIGHTSIZING_*``: how raw CPU usage is read (``irate`` over
  ``raw_rate_window`` sampled every ``raw_step``: a 15-minute rate smooths short peaks away), how many
  days make the recent GPU window (as the ``GpuIdleAllocated`` rule's ``[3d]``), and the share of days
  a peak must recur on to count as a daily peak.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_HOURS = re.compile(r"^\s*(\d{1,2})\s*-\s*(\d{1,2})\s*$")
_DURATION = re.compile(r"^\d+[smh]$")


def parse_hours(raw: str) -> tuple[int, int]:
    """``"08-20"`` → ``(8, 20)``.

    Raises:
        ValueError: not ``HH-HH`` with 0 <= start < end <= 24.
    """
    match = _HOURS.match(raw)
    if not match:
        raise ValueError(f"business hours must look like 08-20, not {raw!r}")
    start, end = int(match.group(1)), int(match.group(2))
    if not 0 <= start < end <= 24:
        raise ValueError(f"business hours need 0 <= start < end <= 24, not {raw!r}")
    return start, end


class BusinessCalendar(BaseSettings):
    """The local time zone and working hours (``REFERENT_TIMEZONE``, ``REFERENT_BUSINESS_HOURS``)."""

    model_config = SettingsConfigDict(env_prefix="REFERENT_", extra="ignore")

    timezone: str = Field(default="UTC", description="IANA time zone of working hours")
    business_hours: str = Field(default="08-20", description="local working hours, start-end")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("business_hours")
    @classmethod
    def _valid_hours(cls, value: str) -> str:
        parse_hours(value)
        return value

    @property
    def hours(self) -> tuple[int, int]:
        """(start hour, end hour) of the working day, local time."""
        return parse_hours(self.business_hours)


class RightsizingSettings(BaseSettings):
    """How rightsizing reads usage (``REFERENT_RIGHTSIZING_*``)."""

    model_config = SettingsConfigDict(env_prefix="REFERENT_RIGHTSIZING_", extra="ignore")

    raw_rate_window: str = Field(
        default="10m", description="irate() window: at least two scrapes (two 5-minute samples)"
    )
    raw_step: str = Field(default="5m", description="subquery step of raw usage (the scrape interval)")
    gpu_recent_days: int = Field(default=3, ge=1, description="recent window of the GPU idle check")
    daily_peak_share: float = Field(
        default=0.8, gt=0, le=1, description="share of days that must reach the P99 for a daily peak"
    )

    @field_validator("raw_rate_window", "raw_step")
    @classmethod
    def _duration(cls, value: str) -> str:
        if not _DURATION.match(value):
            raise ValueError(f"expected a PromQL duration like 5m, not {value!r}")
        return value
