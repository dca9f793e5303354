"""The sample grid of a world (unix seconds) with its local-time features and incident windows."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from evals.worlds.schema import IncidentSpec

LOCAL_TZ = ZoneInfo("America/Sao_Paulo")


@dataclass
class Clock:
    """The sample grid (unix seconds) and its local-time features."""

    ts: np.ndarray
    anchor: int
    step_s: int
    hour: np.ndarray = field(init=False)
    off_hours: np.ndarray = field(init=False)
    ts_str: list[str] = field(init=False)

    def __post_init__(self) -> None:
        local = [datetime.fromtimestamp(int(t), LOCAL_TZ) for t in self.ts]
        self.hour = np.array([d.hour + d.minute / 60 for d in local])
        weekend = np.array([d.weekday() >= 5 for d in local])
        self.off_hours = weekend | (self.hour < 8) | (self.hour >= 20)
        self.ts_str = [str(int(t)) for t in self.ts]

    @property
    def n(self) -> int:
        return len(self.ts)

    def window(self, inc: IncidentSpec) -> np.ndarray:
        """Mask of the samples inside an incident."""
        start = self.anchor - inc.start_ago.total_seconds()
        end = self.anchor - inc.end_ago.total_seconds() if inc.end_ago is not None else math.inf
        return (self.ts >= start) & (self.ts < end)

    def hours_since(self, inc: IncidentSpec) -> np.ndarray:
        return np.clip((self.ts - (self.anchor - inc.start_ago.total_seconds())) / 3600, 0, None)
