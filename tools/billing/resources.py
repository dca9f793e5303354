"""Resource run-rates: the per-SKU aggregate behind :meth:`BillingTool.cost_for_resource`, folded
into one :class:`~tools.billing.models.ResourceCost` with hourly and monthly (730 h) rates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir

from tools.billing.focus import SOURCE
from tools.billing.models import ResourceCost, ResourceCostLine
from tools.billing.query import cost_sums
from tools.billing.values import money, plain, ratio, utc
from tools.errors import BadInput

HOURS_PER_MONTH = Decimal(730)


def per_sku_costs(t: ir.Table) -> ir.Table:
    """Costs, PricingQuantity, charge period span and ResourceIds per currency × service × SKU × unit."""
    return (
        t.group_by(currency=t.BillingCurrency, service=t.ServiceName, sku=t.SkuId, unit=t.PricingUnit)
        .aggregate(
            **cost_sums(t),
            qty=t.PricingQuantity.sum(),
            first=t.ChargePeriodStart.min(),
            last=t.ChargePeriodEnd.max(),
            ids=t.ResourceId.collect(distinct=True),
        )
        .order_by(ibis.desc("effective"))
    )


def resource_cost(resource: str | None, tags: dict[str, str], rows: list[dict[str, Any]]) -> ResourceCost:
    """Fold :func:`per_sku_costs` rows into one :class:`ResourceCost`.

    Raises:
        BadInput: the rows mix currencies, or have no charge periods.
    """
    currencies = {r["currency"] for r in rows}
    if len(currencies) > 1:
        raise BadInput(SOURCE, f"rows mix currencies {sorted(map(str, currencies))}; filter further")
    starts = [s for r in rows if (s := utc(r["first"])) is not None]
    ends = [e for r in rows if (e := utc(r["last"])) is not None]
    if not starts or not ends:
        raise BadInput(SOURCE, "the matching rows have no charge periods")
    start, end = min(starts), max(ends)
    hours = Decimal((end - start).total_seconds()) / Decimal(3600)
    lines = [_line(r) for r in rows]
    effective = sum((line.effective_cost for line in lines), Decimal(0))
    listed = sum((line.list_cost for line in lines), Decimal(0))
    ids = sorted({i for r in rows for i in (r["ids"] or []) if i is not None})
    hourly, hourly_list = ratio(effective, hours) or Decimal(0), ratio(listed, hours) or Decimal(0)
    return ResourceCost(
        resource=resource,
        tags=tags,
        currency=next(iter(currencies)) or "",
        start=start,
        end=end,
        hours=float(hours),
        billed_cost=sum((line.billed_cost for line in lines), Decimal(0)),
        effective_cost=effective,
        list_cost=listed,
        hourly_effective=hourly,
        monthly_effective=plain(hourly * HOURS_PER_MONTH),
        hourly_list=hourly_list,
        monthly_list=plain(hourly_list * HOURS_PER_MONTH),
        resource_ids=ids[:50],
        lines=lines,
    )


def _line(r: dict[str, Any]) -> ResourceCostLine:
    """One :func:`per_sku_costs` row as a :class:`ResourceCostLine`."""
    return ResourceCostLine(
        service=r["service"],
        sku_id=r["sku"],
        pricing_unit=r["unit"],
        pricing_quantity=money(r["qty"]),
        billed_cost=money(r["billed"]),
        effective_cost=money(r["effective"]),
        list_cost=money(r["list"]),
    )
