"""FOCUS billing data: the FOCUS 1.2 columns and their types, and normalization of an export.

FOCUS (FinOps Open Cost and Usage Specification) exports arrive as CSV or Parquet. Real ones have
quirks, all handled by :func:`normalize_focus`, which builds one Ibis expression that runs the same way on
DuckDB and on a warehouse backend:

- nulls spelled as the literal string ``NULL`` or as empty fields become SQL NULL;
- column names are matched to the FOCUS 1.2 names case-insensitively;
- Decimal columns held as text or floats become ``DECIMAL(38, 15)``, so sums stay exact (decimal
  columns a backend already types are kept as they are);
- zone-less timestamps are read as UTC;
- enumerated values with inconsistent case (``Usage-based``) get the spelling the spec uses
  (``Usage-Based``);
- columns the spec does not define are kept; when they lack the ``x_`` prefix the spec asks for, they
  are renamed to ``x_<name>`` (``Id`` → ``x_Id``) and listed in :attr:`FocusInfo.non_spec`;
- spec columns the export lacks are added as typed NULL columns and listed in :attr:`FocusInfo.missing`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from tools.billing.names import SOURCE as SOURCE  # re-exported
from tools.errors import BadInput

MONEY = dt.Decimal(38, 15)
UTC_TS = dt.Timestamp(timezone="UTC")

# The 57 columns of FOCUS v1.2 and their data types (FOCUS_Spec repository, tag v1.2).
_D, _T, _J = "Decimal", "Date/Time", "JSON"
FOCUS_COLUMNS: dict[str, str] = {
    "AvailabilityZone": "String",
    "BilledCost": _D,
    "BillingAccountId": "String",
    "BillingAccountName": "String",
    "BillingAccountType": "String",
    "BillingCurrency": "String",
    "BillingPeriodEnd": _T,
    "BillingPeriodStart": _T,
    "CapacityReservationId": "String",
    "CapacityReservationStatus": "String",
    "ChargeCategory": "String",
    "ChargeClass": "String",
    "ChargeDescription": "String",
    "ChargeFrequency": "String",
    "ChargePeriodEnd": _T,
    "ChargePeriodStart": _T,
    "CommitmentDiscountCategory": "String",
    "CommitmentDiscountId": "String",
    "CommitmentDiscountName": "String",
    "CommitmentDiscountQuantity": _D,
    "CommitmentDiscountStatus": "String",
    "CommitmentDiscountType": "String",
    "CommitmentDiscountUnit": "String",
    "ConsumedQuantity": _D,
    "ConsumedUnit": "String",
    "ContractedCost": _D,
    "ContractedUnitPrice": _D,
    "EffectiveCost": _D,
    "InvoiceId": "String",
    "InvoiceIssuerName": "String",
    "ListCost": _D,
    "ListUnitPrice": _D,
    "PricingCategory": "String",
    "PricingCurrency": "String",
    "PricingCurrencyContractedUnitPrice": _D,
    "PricingCurrencyEffectiveCost": _D,
    "PricingCurrencyListUnitPrice": _D,
    "PricingQuantity": _D,
    "PricingUnit": "String",
    "ProviderName": "String",
    "PublisherName": "String",
    "RegionId": "String",
    "RegionName": "String",
    "ResourceId": "String",
    "ResourceName": "String",
    "ResourceType": "String",
    "ServiceCategory": "String",
    "ServiceName": "String",
    "ServiceSubcategory": "String",
    "SkuId": "String",
    "SkuMeter": "String",
    "SkuPriceDetails": _J,
    "SkuPriceId": "String",
    "SubAccountId": "String",
    "SubAccountName": "String",
    "SubAccountType": "String",
    "Tags": _J,
}

# Columns the billing queries cannot work without.
REQUIRED_COLUMNS: tuple[str, ...] = (
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "BillingCurrency",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ProviderName",
    "ServiceName",
    "ChargeCategory",
)

# Allowed values of enumerated columns, keyed by their lower-case spelling.
ENUM_VALUES: dict[str, tuple[str, ...]] = {
    "ChargeFrequency": ("One-Time", "Recurring", "Usage-Based"),
    "ChargeCategory": ("Usage", "Purchase", "Tax", "Credit", "Adjustment"),
    "ChargeClass": ("Correction",),
    "PricingCategory": ("Standard", "Dynamic", "Committed", "Other"),
    "CommitmentDiscountCategory": ("Spend", "Usage"),
    "CommitmentDiscountStatus": ("Used", "Unused"),
    "CapacityReservationStatus": ("Used", "Unused"),
}

_TYPES = {"String": dt.string, _D: MONEY, _T: UTC_TS, _J: dt.JSON()}


@dataclass(frozen=True)
class FocusInfo:
    """What normalization found in an export.

    Attributes:
        non_spec: non-spec columns, original name → name in the normalized table.
        missing: FOCUS 1.2 columns absent from the export (present in the table as NULL).
        sources: the files (or the backend table) the data came from.
        skipped: files found by a directory or glob that were not FOCUS exports.
    """

    non_spec: dict[str, str] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()


def focus_type(column: str) -> dt.DataType:
    """The Ibis type a FOCUS column has after normalization (string for non-spec columns)."""
    return _TYPES[FOCUS_COLUMNS.get(column, "String")]


def _renames(columns: Iterable[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Map raw column names to normalized names; return (all renames, the non-spec subset)."""
    by_lower = {name.lower(): name for name in FOCUS_COLUMNS}
    columns = list(columns)
    renames: dict[str, str] = {}
    non_spec: dict[str, str] = {}
    for col in columns:
        spec = by_lower.get(col.lower())
        if spec is not None:
            renames[col] = spec
            continue
        new = col if col.lower().startswith("x_") or f"x_{col}" in columns else f"x_{col}"
        renames[col] = new
        non_spec[col] = new
    return renames, non_spec


def _clean(col: ir.Value, name: str) -> ir.Value:
    """Normalize one column: NULL spellings, spec data type, enum spelling."""
    kind = FOCUS_COLUMNS.get(name, "String")
    dtype = col.type()
    if dtype.is_string():
        col = col.nullif("NULL").nullif("")
    if kind == _D and not dtype.is_decimal():
        return col.cast(MONEY)
    if kind == _T and (dtype.is_string() or dtype.is_date() or getattr(dtype, "timezone", None) is None):
        return col.cast(UTC_TS)
    if kind == _J and dtype.is_string():
        return col.cast(dt.JSON())
    if name in ENUM_VALUES and dtype.is_string():
        mapping = {v.lower(): v for v in ENUM_VALUES[name]}
        return col.lower().substitute(mapping, else_=col)
    return col


def normalize_focus(raw: ir.Table, sources: Iterable[str] = ()) -> tuple[ir.Table, FocusInfo]:
    """Build the normalized FOCUS table expression over a raw export table.

    Args:
        raw: the export as the backend sees it (text columns from CSV, or typed columns).
        sources: where the rows came from, recorded in the returned info.

    Returns:
        The normalized table (all FOCUS 1.2 columns in spec order, then the ``x_`` columns) and what
        normalization found.

    Raises:
        BadInput: a column the queries need is missing; the message names every missing one.
    """
    renames, non_spec = _renames(raw.columns)
    present = set(renames.values())
    absent = [c for c in REQUIRED_COLUMNS if c not in present]
    if absent:
        raise BadInput(SOURCE, f"not a FOCUS export: missing required columns {', '.join(absent)}")
    by_new = {new: old for old, new in renames.items()}
    exprs: dict[str, ir.Value] = {}
    for name in FOCUS_COLUMNS:
        if name in by_new:
            exprs[name] = _clean(raw[by_new[name]], name)
        else:
            exprs[name] = ibis.null(focus_type(name))
    for new in sorted(non_spec.values()):
        exprs[new] = _clean(raw[by_new[new]], new)
    missing = tuple(c for c in FOCUS_COLUMNS if c not in present)
    return raw.select(**exprs), FocusInfo(non_spec=non_spec, missing=missing, sources=tuple(sources))
