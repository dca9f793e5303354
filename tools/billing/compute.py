"""CPU, memory and GPU costs: the aggregate behind :meth:`BillingTool.compute_costs` and its folding.

Usage rows (``ChargeCategory`` Usage) are grouped by the columns classification reads (provider,
currency, ``ServiceCategory``, ``ServiceName``, ``ResourceType``, ``SkuId``, ``SkuPriceId``, units, and
the text and ``x_*`` columns the SKU map names, when the export has them); each group is classified by
:meth:`~tools.billing.sku_map.SkuMap.classify` and priced per resource unit: vCPU-hour, GiB-hour,
GPU-hour (an instance-hour of a GPU instance counts ``gpus`` GPU-hours) or instance-hour.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from tools.billing.models import ComputeCostLine, ComputeCosts, ComputeCostTotal
from tools.billing.query import cost_sums
from tools.billing.sku_map import Classified, SkuMap
from tools.billing.values import money, ratio

KEY_COLUMNS = (
    "ProviderName",
    "BillingCurrency",
    "ServiceCategory",
    "ServiceName",
    "ResourceType",
    "SkuId",
    "SkuPriceId",
    "PricingUnit",
    "ConsumedUnit",
)


def compute_cost_query(t: ir.Table, sku_map: SkuMap) -> ir.Table:
    """Usage cost, PricingQuantity and ConsumedQuantity per group of the classification columns."""
    t = t.filter(t.ChargeCategory == "Usage")
    columns = [*KEY_COLUMNS, *(c for c in sku_map.columns if c in t.columns and c not in KEY_COLUMNS)]
    keys = {c: t[c].cast(dt.string) for c in columns}
    return (
        t.group_by(**keys)
        .aggregate(**cost_sums(t), qty=t.PricingQuantity.sum(), consumed=t.ConsumedQuantity.sum())
        .order_by(ibis.desc("effective"))
    )


def _quantity(row: dict[str, Any], c: Classified) -> Decimal:
    """Resource units of a group: consumed quantity when the consumed unit decided, else pricing × GPUs."""
    if c.basis.startswith("ConsumedUnit") and row.get("consumed") is not None:
        return money(row["consumed"])
    qty = money(row["qty"])
    if c.resource == "gpu" and c.gpus_per_unit is not None:
        return qty * Decimal(str(c.gpus_per_unit))
    return qty


def compute_line(row: dict[str, Any], c: Classified) -> ComputeCostLine:
    """One classified group as a :class:`ComputeCostLine`."""
    quantity = _quantity(row, c)
    effective, listed = money(row["effective"]), money(row["list"])
    return ComputeCostLine(
        resource=c.resource,
        gpu_model=c.gpu_model,
        instance_type=c.instance_type,
        basis=c.basis,
        provider=row.get("ProviderName"),
        service=row.get("ServiceName"),
        sku_id=row.get("SkuId"),
        sku_price_id=row.get("SkuPriceId"),
        pricing_unit=row.get("PricingUnit"),
        currency=row.get("BillingCurrency") or "",
        rows=row["n"],
        quantity=quantity,
        billed_cost=money(row["billed"]),
        effective_cost=effective,
        list_cost=listed,
        effective_cost_per_unit=ratio(effective, quantity),
        list_cost_per_unit=ratio(listed, quantity),
    )


def fold_compute_costs(rows: list[dict[str, Any]], sku_map: SkuMap) -> ComputeCosts:
    """Classify the groups of :func:`compute_cost_query`; sum them per currency × resource × GPU model."""
    lines = []
    for row in rows:
        c = sku_map.classify(row)
        if c is not None:
            lines.append(compute_line(row, c))
    sums: dict[tuple[str, str, str | None], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 4)
    for line in lines:
        acc = sums[(line.currency, line.resource, line.gpu_model)]
        for i, value in enumerate((line.quantity, line.billed_cost, line.effective_cost, line.list_cost)):
            acc[i] += value
    totals = [
        ComputeCostTotal(
            resource=resource,
            gpu_model=model,
            currency=currency,
            quantity=q,
            billed_cost=b,
            effective_cost=e,
            list_cost=lst,
            effective_cost_per_unit=ratio(e, q),
        )
        for (currency, resource, model), (q, b, e, lst) in sorted(sums.items(), key=lambda kv: -kv[1][2])
    ]
    return ComputeCosts(lines=lines, totals=totals)
