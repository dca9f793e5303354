"""Unit prices for the money figures: from billing when it answers, else list prices (said so).

Billing's ``compute_costs`` lines are already classified from FOCUS columns and the SKU map (see
:mod:`tools.billing.sku_map`): CPU lines are priced per vCPU-hour, memory per GiB-hour, GPU lines per
GPU-hour of their model. For each resource (and GPU model) the line with the largest quantity sets the
price. The effective cost per unit is used (it includes commitment discounts), so savings are what the
bill would actually drop by.
"""

from __future__ import annotations

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


def _line_price(line: dict[str, Any]) -> float | None:
    return _number(line.get("effective_cost_per_unit")) or _number(line.get("list_cost_per_unit"))


def pricing_from_compute_costs(data: Any, evidence_id: str | None = None) -> Pricing | None:
    """Build :class:`Pricing` from a ``billing.compute_costs`` answer; None without CPU and memory lines."""
    lines = data.get("lines", []) if isinstance(data, dict) else []
    best: dict[tuple[str, str], tuple[float, float, str]] = {}
    for line in lines:
        price, qty = _line_price(line), _number(line.get("quantity")) or 0.0
        resource = str(line.get("resource") or "")
        if price is None or price <= 0 or resource not in {"cpu", "memory", "gpu"}:
            continue
        key = (resource, gpu_key(line.get("gpu_model")) if resource == "gpu" else "")
        if key not in best or qty > best[key][1]:
            best[key] = (price, qty, str(line.get("currency") or "USD"))
    cpu, mem = best.get(("cpu", "")), best.get(("memory", ""))
    if cpu is None or mem is None:
        return None
    return Pricing(
        currency=cpu[2],
        cpu_core_hour=cpu[0],
        mem_gib_hour=mem[0],
        gpu_hour={model: v[0] for (resource, model), v in best.items() if resource == "gpu" and model},
        source="billing",
        note="effective unit prices from billing (commitment discounts included)",
        evidence_ids=[evidence_id] if evidence_id else [],
    )
