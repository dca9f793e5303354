"""Calibration over a suite: the Brier score of the stated confidence and a reliability table.

Each answered triage scenario contributes (confidence of the top hypothesis, 1 if graded 100 else 0);
abstentions state no answer and are left out.
"""

from __future__ import annotations

import itertools
from typing import Any

BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0000001)


def brier(pairs: list[tuple[float, int]]) -> float | None:
    if not pairs:
        return None
    return sum((p - y) ** 2 for p, y in pairs) / len(pairs)


def reliability(pairs: list[tuple[float, int]]) -> list[dict[str, Any]]:
    """One row per non-empty confidence bin: count, mean confidence, observed accuracy."""
    rows = []
    for lo, hi in itertools.pairwise(BINS):
        inside = [(p, y) for p, y in pairs if lo <= p < hi]
        if inside:
            rows.append(
                {
                    "bin": f"{lo:.1f}-{min(hi, 1.0):.1f}",
                    "count": len(inside),
                    "mean_confidence": round(sum(p for p, _ in inside) / len(inside), 3),
                    "accuracy": round(sum(y for _, y in inside) / len(inside), 3),
                }
            )
    return rows
