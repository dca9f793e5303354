"""Unit prices: the per-SKU aggregate behind :meth:`BillingTool.unit_prices` and its result rows."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from tools.billing.models import UnitPrice
from tools.billing.query import cost_sums
from tools.billing.values import money, opt_money, ratio


def price_filters(resource_id: str | None, sku_id: str | None) -> dict[str, str]:
    """The dimension filters for an optional ResourceId and SkuId."""
    filters: dict[str, str] = {}
    if resource_id is not None:
        filters["resource"] = resource_id
    if sku_id is not None:
        filters["sku"] = sku_id
    return filters


def unit_price_query(t: ir.Table, per_resource: bool) -> ir.Table:
    """Costs, PricingQuantity and unit prices per provider × SKU × unit × currency (× ResourceId).

    Rows come largest effective cost first, then by SKU.
    """
    keys: dict[str, ir.Value] = {
        "provider": t.ProviderName,
        "sku": t.SkuId,
        "unit": t.PricingUnit,
        "currency": t.BillingCurrency,
    }
    if per_resource:
        keys["resource"] = t.ResourceId
    return (
        t.group_by(**keys)
        .aggregate(
            **cost_sums(t),
            qty=t.PricingQuantity.sum(),
            lup_min=t.ListUnitPrice.min(),
            lup_max=t.ListUnitPrice.max(),
            cup=t.ContractedUnitPrice.max(),
        )
        .order_by(ibis.desc("effective"), "sku")
    )


def unit_price(r: dict[str, Any]) -> UnitPrice:
    """One row of :func:`unit_price_query` as a :class:`UnitPrice` (cost per unit = cost / quantity)."""
    qty, eff, lst = money(r["qty"]), money(r["effective"]), money(r["list"])
    return UnitPrice(
        provider=r["provider"],
        sku_id=r["sku"],
        resource_id=r.get("resource"),
        pricing_unit=r["unit"],
        currency=r["currency"] or "",
        rows=r["n"],
        pricing_quantity=qty,
        list_cost=lst,
        effective_cost=eff,
        list_unit_price_min=opt_money(r["lup_min"]),
        list_unit_price_max=opt_money(r["lup_max"]),
        contracted_unit_price=opt_money(r["cup"]),
        list_cost_per_unit=ratio(lst, qty),
        effective_cost_per_unit=ratio(eff, qty),
    )
