"""Daily cost spikes: the per-day cost series and their robust z-scores (median / MAD).

See :meth:`tools.billing.BillingTool.daily_anomalies` for the method.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

import ibis.expr.types as ir

from tools.billing.dimensions import dimension_value
from tools.billing.focus import SOURCE
from tools.billing.models import Anomaly
from tools.billing.values import money
from tools.errors import BadInput

METRICS = ("BilledCost", "EffectiveCost", "ListCost")
Series = dict[tuple[str | None, str], dict[date, Decimal]]


def check_anomaly_args(metric: str, window: int) -> None:
    """Raise BadInput for a metric other than the three cost columns or a window under 3 days."""
    if metric not in METRICS:
        raise BadInput(SOURCE, f"metric must be BilledCost, EffectiveCost or ListCost, not {metric!r}")
    if window < 3:
        raise BadInput(SOURCE, "window must be at least 3 days")


def daily_costs(t: ir.Table, dimension: str, metric: str) -> ir.Table:
    """Sum of ``metric`` per ``dimension`` value, currency and UTC day of ChargePeriodStart."""
    return t.group_by(
        key=dimension_value(t, dimension), currency=t.BillingCurrency, day=t.ChargePeriodStart.date()
    ).aggregate(cost=t[metric].sum())


def daily_series(rows: Iterable[dict[str, Any]]) -> Series:
    """Rows of :func:`daily_costs` as (key, currency) → day → cost."""
    series: Series = defaultdict(dict)
    for r in rows:
        series[(r["key"], r["currency"] or "")][r["day"]] = money(r["cost"])
    return series


def find_spikes(
    dimension: str, metric: str, days: list[date], series: Series, window: int, threshold: float
) -> list[Anomaly]:
    """Spikes of every series over ``days`` (missing days count as zero), highest z-score first."""
    found = [
        a
        for (key, cur), by_day in series.items()
        for a in _spikes(dimension, key, cur, metric, days, by_day, window, threshold)
    ]
    return sorted(found, key=lambda a: -a.z_score)


def _spikes(
    dimension: str,
    key: str | None,
    currency: str,
    metric: str,
    days: list[date],
    by_day: dict[date, Decimal],
    window: int,
    threshold: float,
) -> list[Anomaly]:
    """Robust z-score spikes of one daily series (see :meth:`BillingTool.daily_anomalies`)."""
    costs = [by_day.get(d, Decimal(0)) for d in days]
    out = []
    for i in range(window, len(costs)):
        base = costs[i - window : i]
        median = statistics.median(base)
        mad = statistics.median(abs(c - median) for c in base)
        scale = max(Decimal("1.4826") * mad, abs(median) * Decimal("0.05"), Decimal("0.01"))
        z = float((costs[i] - median) / scale)
        if z >= threshold:
            out.append(
                Anomaly(
                    dimension=dimension,
                    key=key,
                    currency=currency,
                    metric=metric,
                    day=days[i],
                    cost=costs[i],
                    previous_cost=costs[i - 1],
                    delta=costs[i] - costs[i - 1],
                    baseline_median=median,
                    baseline_mad=mad,
                    z_score=round(z, 3),
                )
            )
    return out
