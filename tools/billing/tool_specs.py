"""The billing tools the gateway exposes: one table of name, description, input model and call.

:func:`specs` binds the table to a :class:`~tools.billing.tool.BillingTool` without touching it, so the
same specs can be bound to a stand-in for an unconfigured source.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from tools.base import ActionClass, ToolSpec
from tools.billing.inputs import (
    AnomaliesInput,
    ComputeCostsInput,
    CostByInput,
    ResourceCostInput,
    TotalsInput,
    UnitPricesInput,
)
from tools.billing.names import SOURCE

if TYPE_CHECKING:
    from tools.billing.tool import BillingTool

Call = Callable[["BillingTool", Any], Any]

_TOOLS: tuple[tuple[str, str, type[BaseModel], Call], ...] = (
    (
        "billing.totals",
        "Total FOCUS billing cost per cloud provider and currency (BilledCost, EffectiveCost, "
        "ListCost, ContractedCost, row count, first/last charge period), optionally split by a "
        "dimension and restricted to a time window and filters.",
        TotalsInput,
        lambda tool, a: tool.totals(a.by, a.start, a.end, a.filters),
    ),
    (
        "billing.cost_by",
        "Cost grouped by one dimension (service, resource, sub_account, region, charge_category, "
        "sku, provider, service_category, day or tag:<key>), each row with BilledCost, "
        "EffectiveCost and ListCost in its currency; largest effective cost first (days in order). "
        "A null key holds rows without a value.",
        CostByInput,
        lambda tool, a: tool.cost_by(a.dimension, a.start, a.end, a.filters, a.limit),
    ),
    (
        "billing.unit_prices",
        "Unit prices per SKU and pricing unit (optionally per resource): summed PricingQuantity, "
        "ListCost and EffectiveCost, the min/max ListUnitPrice, and list and effective cost per "
        "pricing unit.",
        UnitPricesInput,
        lambda tool, a: tool.unit_prices(a.resource_id, a.sku_id, a.start, a.end, a.by_resource, a.limit),
    ),
    (
        "billing.compute_costs",
        "CPU, memory and GPU costs: usage rows classified from FOCUS columns (ServiceCategory, "
        "ConsumedUnit/PricingUnit, instance type from x_* provider columns or ChargeDescription) and "
        "the SKU map, never from the letters of a SKU id; one line per SKU group with its cost per "
        "vCPU-hour, GiB-hour, GPU-hour or instance-hour and the basis of its class, and totals per "
        "currency, resource and GPU model.",
        ComputeCostsInput,
        lambda tool, a: tool.compute_costs(a.start, a.end, a.filters),
    ),
    (
        "billing.anomalies",
        "Daily cost spikes per dimension value: days whose cost exceeds the median of the trailing "
        "window by at least `threshold` robust z-scores (median/MAD), with the cost, the "
        "day-over-day delta and the baseline; highest z-score first. Empty list = no spikes.",
        AnomaliesInput,
        lambda tool, a: tool.daily_anomalies(
            a.dimension, a.window, a.threshold, a.metric, a.lookback_days, a.filters
        ),
    ),
    (
        "billing.resource_cost",
        "Cost of one resource (ResourceId or ResourceName, e.g. a workload) or of the resources "
        "carrying the given tags over the last `days` days: totals, hourly and monthly (730 h) "
        "effective and list run-rates, and one line per service/SKU. Fails with not_found when "
        "no rows match.",
        ResourceCostInput,
        lambda tool, a: tool.cost_for_resource(a.resource_id, a.tags, a.days),
    ),
)


def specs(tool: BillingTool) -> list[ToolSpec]:
    """The read-only billing tools the gateway exposes, bound to ``tool``.

    Building the list neither calls methods of ``tool`` nor reads its attributes; that happens only
    when a tool is called.
    """
    return [
        ToolSpec(
            name=name,
            description=description,
            input_model=model,
            action=ActionClass.READ,
            func=partial(call, tool),
            source=SOURCE,
            tags=("billing", "finops"),
        )
        for name, description, model, call in _TOOLS
    ]
