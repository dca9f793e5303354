"""Choosing among overlapping findings: higher priority first, then the longer span, then the score.

Priorities come from the recognizers (a DSN password beats the e-mail-looking ``pass@host`` around it,
a JWT beats the bearer value it is, a card beats the phone its digits could also be).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable

from .recognizers.base import Result


def resolve_overlaps(results: Iterable[Result], priority: Callable[[str], int]) -> list[Result]:
    """Non-overlapping results, sorted by start, keeping the best of every overlapping group."""
    ranked = sorted(results, key=lambda r: (-priority(r.entity_type), -(r.end - r.start), -r.score, r.start))
    starts: list[int] = []
    kept: list[Result] = []
    for result in ranked:
        index = bisect_left(starts, result.start)
        if index > 0 and kept[index - 1].end > result.start:
            continue
        if index < len(kept) and kept[index].start < result.end:
            continue
        starts.insert(index, result.start)
        kept.insert(index, result)
    return kept
