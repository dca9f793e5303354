"""Cloud billing over FOCUS data: totals, cost breakdowns, unit prices, anomalies, resource run-rates.

The package, by room:

- :mod:`~tools.billing.focus`: the FOCUS 1.2 columns and types, and normalization of an export;
- :mod:`~tools.billing.names`, :mod:`~tools.billing.dimensions`: the source name and the dimensions
  queries group and filter by;
- :mod:`~tools.billing.paths`, :mod:`~tools.billing.files`: finding CSV/Parquet exports and loading
  them into DuckDB;
- :mod:`~tools.billing.tool`: :class:`BillingTool`, the queries (Ibis expressions, DuckDB or a warehouse);
- :mod:`~tools.billing.lazy`: :class:`LazyBillingTool`, the same over files, loaded on the first query;
- :mod:`~tools.billing.query`, :mod:`~tools.billing.prices`, :mod:`~tools.billing.anomalies`,
  :mod:`~tools.billing.resources`: the expressions and row folding behind the queries;
- :mod:`~tools.billing.values`: backend values as exact Decimals and UTC datetimes;
- :mod:`~tools.billing.models`: result models; :mod:`~tools.billing.inputs`: tool input models;
- :mod:`~tools.billing.tool_specs`: :func:`specs`, the tools the gateway exposes.

Importing the package imports none of them: each name is imported on first use (PEP 562), so binding
the tool specs to a :class:`LazyBillingTool` at start does not import Ibis, Arrow or DuckDB.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tools.billing.dimensions import dimension_value, tag_value
    from tools.billing.files import discover_files, load_files
    from tools.billing.focus import (
        ENUM_VALUES,
        FOCUS_COLUMNS,
        MONEY,
        REQUIRED_COLUMNS,
        UTC_TS,
        FocusInfo,
        focus_type,
        normalize_focus,
    )
    from tools.billing.inputs import (
        AnomaliesInput,
        CostByInput,
        ResourceCostInput,
        TotalsInput,
        UnitPricesInput,
    )
    from tools.billing.lazy import LazyBillingTool
    from tools.billing.models import (
        Anomaly,
        CostRow,
        ProviderTotal,
        ResourceCost,
        ResourceCostLine,
        UnitPrice,
    )
    from tools.billing.names import DIMENSION_HELP, DIMENSIONS, SOURCE
    from tools.billing.query import Filters
    from tools.billing.resources import HOURS_PER_MONTH
    from tools.billing.tool import BillingTool
    from tools.billing.tool_specs import specs
    from tools.billing.values import When

_EXPORTS: dict[str, str] = {
    **dict.fromkeys(("DIMENSIONS", "DIMENSION_HELP", "SOURCE"), "names"),
    **dict.fromkeys(("dimension_value", "tag_value"), "dimensions"),
    **dict.fromkeys(("discover_files", "load_files"), "files"),
    **dict.fromkeys(
        (
            "ENUM_VALUES",
            "FOCUS_COLUMNS",
            "MONEY",
            "REQUIRED_COLUMNS",
            "UTC_TS",
            "FocusInfo",
            "focus_type",
            "normalize_focus",
        ),
        "focus",
    ),
    **dict.fromkeys(
        ("AnomaliesInput", "CostByInput", "ResourceCostInput", "TotalsInput", "UnitPricesInput"), "inputs"
    ),
    **dict.fromkeys(
        ("Anomaly", "CostRow", "ProviderTotal", "ResourceCost", "ResourceCostLine", "UnitPrice"), "models"
    ),
    "Filters": "query",
    "HOURS_PER_MONTH": "resources",
    "BillingTool": "tool",
    "LazyBillingTool": "lazy",
    "specs": "tool_specs",
    "When": "values",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "DIMENSIONS",
    "DIMENSION_HELP",
    "ENUM_VALUES",
    "FOCUS_COLUMNS",
    "HOURS_PER_MONTH",
    "MONEY",
    "REQUIRED_COLUMNS",
    "SOURCE",
    "UTC_TS",
    "AnomaliesInput",
    "Anomaly",
    "BillingTool",
    "CostByInput",
    "CostRow",
    "Filters",
    "FocusInfo",
    "LazyBillingTool",
    "ProviderTotal",
    "ResourceCost",
    "ResourceCostInput",
    "ResourceCostLine",
    "TotalsInput",
    "UnitPrice",
    "UnitPricesInput",
    "When",
    "dimension_value",
    "discover_files",
    "focus_type",
    "load_files",
    "normalize_focus",
    "specs",
    "tag_value",
]
