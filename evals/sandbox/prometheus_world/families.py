"""Series containers: metric families in insertion order, written as one OpenMetrics document."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evals.sandbox.prometheus_world.clock import Clock


@dataclass
class Series:
    """One labelled series on the clock's grid; ``mask`` keeps only some samples (``None``: all)."""

    name: str
    labels: dict[str, str]
    values: np.ndarray
    mask: np.ndarray | None = None


class Families:
    """Metric families in insertion order; written as one OpenMetrics document."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.families: dict[str, tuple[str, list[Series]]] = {}

    def add(
        self,
        family: str,
        kind: str,
        name: str,
        labels: dict[str, str],
        values: np.ndarray,
        mask: np.ndarray | None = None,
    ) -> None:
        self.families.setdefault(family, (kind, []))[1].append(Series(name, labels, values, mask))

    def write(self, path: Path, lo: float = -math.inf, hi: float = math.inf) -> int:
        """Write the samples with ``lo <= ts < hi`` to ``path``; return how many were written."""
        total = 0
        ts = self.clock.ts_str
        window = (self.clock.ts >= lo) & (self.clock.ts < hi)
        with path.open("w") as out:
            for family, (kind, series) in self.families.items():
                out.write(f"# TYPE {family} {kind}\n")
                for s in series:
                    labels = ",".join(f'{k}="{v}"' for k, v in s.labels.items())
                    prefix = f"{s.name}{{{labels}}} "
                    idx = np.flatnonzero(window if s.mask is None else window & s.mask).tolist()
                    vals = s.values.tolist()
                    out.write("".join(f"{prefix}{vals[i]:.12g} {ts[i]}\n" for i in idx))
                    total += len(idx)
            out.write("# EOF\n")
        return total
