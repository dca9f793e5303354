"""Ibis building blocks every billing query shares: the row selection and the cost sums."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ibis.expr.types as ir

from tools.billing.dimensions import dimension_value
from tools.billing.values import When, utc

Filters = Mapping[str, str | Sequence[str]]


def select(t: ir.Table, start: When = None, end: When = None, filters: Filters | None = None) -> ir.Table:
    """Rows of ``t`` charged in ``[start, end)`` (by ChargePeriodStart) whose dimensions match ``filters``.

    Raises:
        BadInput: a filter names an unknown dimension.
    """
    if (lo := utc(start)) is not None:
        t = t.filter(t.ChargePeriodStart >= lo)
    if (hi := utc(end)) is not None:
        t = t.filter(t.ChargePeriodStart < hi)
    for dim, wanted in (filters or {}).items():
        values = [wanted] if isinstance(wanted, str) else list(wanted)
        t = t.filter(dimension_value(t, dim).isin(values))
    return t


def cost_sums(t: ir.Table) -> dict[str, ir.Value]:
    """Aggregates ``billed``, ``effective`` and ``list`` (cost sums) and ``n`` (row count) over ``t``."""
    return {
        "billed": t.BilledCost.sum(),
        "effective": t.EffectiveCost.sum(),
        "list": t.ListCost.sum(),
        "n": t.count(),
    }
