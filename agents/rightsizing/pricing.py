"""Unit prices for the money figures: from billing when it answers, else list prices (said so).

Billing's ``unit_prices`` rows are matched by the ``-``-separated tokens of their SKU id: a SKU with a
``VCPU`` token prices a core-hour, ``MEMORY`` a GiB-hour, ``GPU`` a GPU-hour of the model its last ``-`` token names
(``EC2-GPU-NVIDIA-A10G`` → ``A10G``). The effective cost per unit is used (it includes commitment
discounts), so savings are what the bill would actually drop by.
"""

from __future__ import annotations

import re
from typing import Any

from agents.rightsizing.models import Pricing

# AWS sa-east-1 on-demand list prices (the sandbox world's defaults); used only without billing.
LIST_PRICES = Pricing(
    currency="USD",
    cpu_core_hour=0.0465,
    mem_gib_hour=0.0062,
    gpu_hour={"A10G": 1.212, "T4": 0.526},
    source="list_prices",
    note="billing unavailable: savings use public list prices, not the negotiated rates",
)


def gpu_key(model_name: str | None) -> str:
    """Normalize a GPU model name: ``NVIDIA A10G``, ``nvidia-a10g``, ``EC2-GPU-NVIDIA-A10G`` → ``A10G``."""
    if not model_name:
        return ""
    return model_name.replace("-", " ").split()[-1].upper()


def _number(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _price(row: dict[str, Any]) -> float | None:
    return _number(row.get("effective_cost_per_unit")) or _number(row.get("list_cost_per_unit"))


def pricing_from_unit_prices(rows: list[dict[str, Any]], evidence_id: str | None = None) -> Pricing | None:
    """Build :class:`Pricing` from ``billing.unit_prices`` rows; None when no CPU or memory SKU is found."""
    cpu: tuple[float, float] | None = None
    mem: tuple[float, float] | None = None
    gpus: dict[str, tuple[float, float]] = {}
    currency = "USD"
    for row in rows:
        sku = str(row.get("sku_id") or "").upper()
        tokens = set(re.split(r"[-_.:/ ]", sku))
        price, qty = _price(row), _number(row.get("pricing_quantity")) or 0.0
        if price is None or price <= 0:
            continue
        if "VCPU" in tokens and (cpu is None or qty > cpu[1]):
            cpu, currency = (price, qty), str(row.get("currency") or currency)
        elif "MEMORY" in tokens and (mem is None or qty > mem[1]):
            mem = (price, qty)
        elif "GPU" in tokens:
            key = gpu_key(sku)
            if key not in gpus or qty > gpus[key][1]:
                gpus[key] = (price, qty)
    if cpu is None or mem is None:
        return None
    return Pricing(
        currency=currency,
        cpu_core_hour=cpu[0],
        mem_gib_hour=mem[0],
        gpu_hour={k: v[0] for k, v in gpus.items()},
        source="billing",
        note="effective unit prices from billing (commitment discounts included)",
        evidence_ids=[evidence_id] if evidence_id else [],
    )
