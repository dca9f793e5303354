"""Backend values as Python values: money as exact :class:`~decimal.Decimal`, times as UTC datetimes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

When = datetime | date | None


def plain(value: Decimal) -> Decimal:
    """The same number without trailing zeros or exponent (``13.000`` → ``13``, ``0E-15`` → ``0``)."""
    value = value.normalize()
    return value.quantize(Decimal(1)) if value.as_tuple().exponent > 0 else value  # type: ignore[operator]


def money(value: Any) -> Decimal:
    """A backend number as an exact Decimal (NULL → 0; floats through their shortest repr)."""
    if value is None:
        return Decimal(0)
    if not isinstance(value, Decimal):
        value = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return plain(value)


def opt_money(value: Any) -> Decimal | None:
    """Like :func:`money`, but NULL stays None."""
    return None if value is None else money(value)


def utc(value: When) -> datetime | None:
    """A datetime in UTC (zone-less ones are read as UTC; a date means its midnight); None stays None."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        return datetime.combine(value, time(), tzinfo=UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def ratio(num: Decimal, den: Decimal | None) -> Decimal | None:
    """``num / den`` without trailing zeros, or None when ``den`` is zero or None."""
    return None if not den else plain(num / den)
