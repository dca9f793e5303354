"""Cloud billing over FOCUS data: totals, cost breakdowns, unit prices, anomalies, resource run-rates.

The package, by room:

- :mod:`~tools.billing.focus`: the FOCUS 1.2 columns and types, and normalization of an export;
- :mod:`~tools.billing.dimensions`: the dimensions queries group and filter by;
- :mod:`~tools.billing.files`: finding CSV/Parquet exports and loading them into DuckDB;
- :mod:`~tools.billing.tool`: :class:`BillingTool`, the queries (Ibis expressions, DuckDB or a warehouse);
- :mod:`~tools.billing.query`, :mod:`~tools.billing.prices`, :mod:`~tools.billing.anomalies`,
  :mod:`~tools.billing.resources`: the expressions and row folding behind the queries;
- :mod:`~tools.billing.values`: backend values as exact Decimals and UTC datetimes;
- :mod:`~tools.billing.models`: result models; :mod:`~tools.billing.inputs`: tool input models;
- :mod:`~tools.billing.tool_specs`: :func:`specs`, the tools the gateway exposes.
"""

from __future__ import annotations

from tools.billing.dimensions import DIMENSION_HELP, DIMENSIONS, dimension_value, tag_value
from tools.billing.files import discover_files, load_files
from tools.billing.focus import (
    ENUM_VALUES,
    FOCUS_COLUMNS,
    MONEY,
    REQUIRED_COLUMNS,
    SOURCE,
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
from tools.billing.models import (
    Anomaly,
    CostRow,
    ProviderTotal,
    ResourceCost,
    ResourceCostLine,
    UnitPrice,
)
from tools.billing.query import Filters
from tools.billing.resources import HOURS_PER_MONTH
from tools.billing.tool import BillingTool
from tools.billing.tool_specs import specs
from tools.billing.values import When

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
