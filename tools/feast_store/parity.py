"""Online/offline parity: compare the values of one feature for aligned entity keys (pure helpers)."""

from __future__ import annotations

from typing import Any

from tools.feast_store.models import FeatureParity


def scalar(raw: Any) -> Any:
    """A comparable scalar: None/NaN/NaT/NA become None, numpy scalars become Python ones."""
    if hasattr(raw, "item") and not isinstance(raw, str | bytes):
        raw = raw.item()
    try:
        if raw is None or raw != raw:
            return None
    except (TypeError, ValueError):  # pd.NA and friends refuse to be truth-tested
        return None
    return raw


def compare_feature(
    ref: str, keys: list[str], online: list[Any], offline: list[Any], tolerance: float
) -> FeatureParity:
    """Compare aligned online/offline values of one feature (numbers within ``tolerance``, else equality)."""
    mismatches, missing_on, missing_off, max_diff = 0, 0, 0, None
    examples: list[str] = []
    for key, raw_on, raw_off in zip(keys, online, offline, strict=True):
        on, off = scalar(raw_on), scalar(raw_off)
        missing_on += on is None
        missing_off += off is None
        if on is None or off is None:
            differs = (on is None) != (off is None)
        elif isinstance(on, int | float) and isinstance(off, int | float):
            diff = abs(float(on) - float(off))
            max_diff = diff if max_diff is None else max(max_diff, diff)
            differs = diff > tolerance
        else:
            differs = on != off
        if differs:
            mismatches += 1
            if len(examples) < 5:
                examples.append(key)
    compared = len(keys)
    return FeatureParity(
        feature=ref,
        compared=compared,
        mismatches=mismatches,
        mismatch_rate=mismatches / compared if compared else 0.0,
        max_abs_diff=max_diff,
        missing_online=missing_on,
        missing_offline=missing_off,
        example_keys=examples,
    )
