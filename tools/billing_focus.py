"""FOCUS billing data: the column list, loading files into DuckDB, and normalization.

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

import csv
import glob
import gzip
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq

from tools.errors import BadInput, NotFound, SourceUnavailable

SOURCE = "billing"
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
_REMOTE = ("s3://", "gs://", "az://", "abfss://", "http://", "https://")
_SUFFIXES = {".csv": "csv", ".csv.gz": "csv", ".parquet": "parquet", ".pq": "parquet"}


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


# --- dimensions --------------------------------------------------------------------------------

DIMENSIONS: dict[str, str] = {
    "provider": "ProviderName",
    "service": "ServiceName",
    "service_category": "ServiceCategory",
    "resource": "ResourceId",
    "sub_account": "SubAccountId",
    "region": "RegionId",
    "charge_category": "ChargeCategory",
    "sku": "SkuId",
    "day": "ChargePeriodStart",
}
DIMENSION_HELP = ", ".join([*DIMENSIONS, "tag:<key>"])


def tag_value(t: ir.Table, key: str) -> ir.StringValue:
    """The value of tag ``key`` per row (NULL when untagged); Tags may be JSON, text or a map."""
    tags = t["Tags"]
    if tags.type().is_map():
        return tags.get(key).cast(dt.string)
    if tags.type().is_string():
        tags = tags.cast(dt.JSON())
    item = tags[key]
    return ibis.coalesce(item.str, item.cast(dt.string))


def dimension_value(t: ir.Table, dimension: str) -> ir.StringValue:
    """The grouping key of ``dimension`` per row, as text (``day`` is the UTC date ``YYYY-MM-DD``).

    Raises:
        BadInput: unknown dimension, or an empty tag key.
    """
    if dimension.startswith("tag:"):
        key = dimension[4:]
        if not key:
            raise BadInput(SOURCE, "tag dimension needs a key, e.g. tag:team")
        return tag_value(t, key)
    if dimension == "day":
        return t["ChargePeriodStart"].date().cast(dt.string)
    if dimension not in DIMENSIONS:
        raise BadInput(SOURCE, f"unknown dimension {dimension!r}; use one of {DIMENSION_HELP}")
    return t[DIMENSIONS[dimension]].cast(dt.string)


# --- files -------------------------------------------------------------------------------------


def _kind(path: str) -> str | None:
    lower = path.lower()
    return next((k for suffix, k in _SUFFIXES.items() if lower.endswith(suffix)), None)


def _expand(item: str | Path) -> tuple[list[str], bool]:
    """Expand one path, directory (searched recursively) or glob into data files.

    Returns:
        The files, and whether ``item`` named them explicitly (not by directory or glob).
    """
    text = str(item)
    if text.startswith(_REMOTE):
        return [text], True
    if any(ch in text for ch in "*?["):
        return sorted(p for p in glob.glob(text, recursive=True) if _kind(p)), False
    path = Path(text)
    if path.is_dir():
        return sorted(str(p) for p in path.rglob("*") if p.is_file() and _kind(p.name)), False
    if not path.exists():
        raise NotFound(SOURCE, f"no such billing file or directory: {text}")
    if _kind(text) is None:
        raise BadInput(SOURCE, f"unsupported billing file type (want .csv, .csv.gz, .parquet): {text}")
    return [text], True


def _header(file: str) -> list[str] | None:
    """Column names of a local CSV/Parquet file (None for remote files)."""
    if file.startswith(_REMOTE):
        return None
    if _kind(file) == "parquet":
        return list(pq.read_schema(file).names)
    opener = gzip.open if file.lower().endswith(".gz") else open
    with opener(file, "rt", encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh), [])


def _lacking(file: str) -> list[str]:
    """Required FOCUS columns a file lacks (matched case-insensitively)."""
    try:
        names = _header(file)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise SourceUnavailable(SOURCE, f"cannot read {file}: {exc}") from exc
    if names is None:
        return []
    lower = {n.lower() for n in names}
    return [c for c in REQUIRED_COLUMNS if c.lower() not in lower]


def discover_files(paths: str | Path | Iterable[str | Path]) -> tuple[dict[str, list[str]], list[str]]:
    """Find the FOCUS files behind ``paths`` and group them by format.

    Files found by a directory or glob that are not FOCUS exports (they lack required columns, like a
    column list next to the data) are skipped; a file named explicitly must be a FOCUS export.

    Args:
        paths: a file, a directory (searched recursively for CSV/Parquet), a glob, a URL, or a list.

    Returns:
        ``{"csv": [...], "parquet": [...]}`` (only formats that occur), and the skipped files.

    Raises:
        NotFound: a path does not exist, or no FOCUS file matched.
        BadInput: a named file is neither CSV nor Parquet, or lacks required columns (named).
        SourceUnavailable: a file's header could not be read.
    """
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    found: dict[str, list[str]] = {}
    skipped: list[str] = []
    for item in items:
        files, explicit = _expand(item)
        for file in files:
            lacking = _lacking(file)
            if lacking and explicit:
                raise BadInput(
                    SOURCE, f"{file} is not a FOCUS export: missing required columns {', '.join(lacking)}"
                )
            if lacking:
                skipped.append(file)
                continue
            found.setdefault(_kind(file) or "parquet", []).append(file)
    if not found:
        where = ", ".join(map(str, items))
        raise NotFound(
            SOURCE,
            f"no FOCUS CSV or Parquet files under {where}"
            + (f" (skipped non-FOCUS files: {', '.join(skipped)})" if skipped else ""),
        )
    return found, skipped


def _common(a: dt.DataType, b: dt.DataType) -> dt.DataType:
    """A type both columns cast to without loss (numbers → DECIMAL(38, 15), maps → JSON, else text)."""
    if a == b:
        return a
    if a.is_numeric() and b.is_numeric():
        return MONEY
    if a.is_json() or b.is_json():
        return dt.JSON()  # e.g. Tags: a map<string, string> from Parquet and JSON text from CSV
    return UTC_TS if a.is_timestamp() and b.is_timestamp() else dt.string


def _align(tables: list[ir.Table]) -> ir.Table:
    """Union normalized tables whose non-spec columns may differ (absent ones become NULL)."""
    if len(tables) == 1:
        return tables[0]
    types: dict[str, dt.DataType] = {}
    for table in tables:
        for name, dtype in table.schema().items():
            types[name] = _common(types.get(name, dtype), dtype)
    aligned = [
        t.select(**{n: (t[n].cast(ty) if n in t.columns else ibis.null(ty)) for n, ty in types.items()})
        for t in tables
    ]
    return ibis.union(*aligned, distinct=False)


def load_files(
    con: ibis.BaseBackend, paths: str | Path | Iterable[str | Path], table: str = "focus"
) -> FocusInfo:
    """Register FOCUS files on a DuckDB connection as the normalized table ``table``.

    CSV files are read with every column as text (so ``NULL`` / empty fields and exact decimals are
    handled by normalization) and materialized in the database; Parquet files stay a view.

    Args:
        con: an Ibis DuckDB connection.
        paths: see :func:`discover_files`.
        table: name of the normalized table to create.

    Returns:
        What normalization found (non-spec columns, missing spec columns, files).

    Raises:
        NotFound: no such file or nothing matched.
        BadInput: unsupported file, or required FOCUS columns missing.
        SourceUnavailable: a file could not be read.
    """
    files, skipped = discover_files(paths)
    parts: list[ir.Table] = []
    non_spec: dict[str, str] = {}
    missing: set[str] = set(FOCUS_COLUMNS)
    try:
        if "csv" in files:
            raw = con.read_csv(
                files["csv"], table_name=f"{table}_raw_csv", all_varchar=True, union_by_name=True
            )
            parts.append(_collect(raw, files["csv"], non_spec, missing))
        if "parquet" in files:
            raw = con.read_parquet(files["parquet"], table_name=f"{table}_raw_parquet", union_by_name=True)
            parts.append(_collect(raw, files["parquet"], non_spec, missing))
        expr = _align(parts)
        _drop(con, table)
        if "csv" in files:
            con.create_table(table, expr)
        else:
            con.create_view(table, expr)
    except (BadInput, NotFound):
        raise
    except Exception as exc:
        raise SourceUnavailable(SOURCE, f"could not read billing files: {exc}") from exc
    every = tuple(f for group in files.values() for f in group)
    return FocusInfo(
        non_spec=non_spec,
        missing=tuple(c for c in FOCUS_COLUMNS if c in missing),
        sources=every,
        skipped=tuple(skipped),
    )


def _drop(con: ibis.BaseBackend, name: str) -> None:
    """Drop table or view ``name`` if it exists (plain SQL: works with duckdb 1.x and 2.x)."""
    for kind, catalog in (("VIEW", "duckdb_views()"), ("TABLE", "duckdb_tables()")):
        column = f"{kind.lower()}_name"
        query = (
            f"SELECT 1 FROM {catalog} WHERE {column} = ? AND NOT internal"
            if kind == "VIEW"
            else (f"SELECT 1 FROM {catalog} WHERE {column} = ?")
        )
        if con.raw_sql(query, parameters=[name]).fetchall():  # type: ignore[attr-defined]
            con.raw_sql(f'DROP {kind} "{name}"')


def _collect(raw: ir.Table, files: list[str], non_spec: dict[str, str], missing: set[str]) -> ir.Table:
    expr, info = normalize_focus(raw, files)
    non_spec.update(info.non_spec)
    missing.intersection_update(info.missing)
    return expr
