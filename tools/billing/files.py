"""FOCUS files: finding CSV/Parquet exports and loading them into DuckDB as the normalized table.

Paths may be files, directories (searched recursively), globs or URLs; files a directory or glob turns up
that are not FOCUS exports are skipped. CSV files are read as text and normalized by
:func:`tools.billing.focus.normalize_focus`; files of different formats are unioned into one table.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterable
from pathlib import Path

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq

from tools.billing.focus import (
    FOCUS_COLUMNS,
    MONEY,
    REQUIRED_COLUMNS,
    SOURCE,
    UTC_TS,
    FocusInfo,
    normalize_focus,
)
from tools.billing.paths import REMOTE as _REMOTE
from tools.billing.paths import expand as _expand
from tools.billing.paths import kind as _kind
from tools.errors import BadInput, NotFound, SourceUnavailable


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
    non_spec: dict[str, str] = {}
    missing: set[str] = set(FOCUS_COLUMNS)
    try:
        _create(con, table, files, non_spec, missing)
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


def _create(
    con: ibis.BaseBackend,
    table: str,
    files: dict[str, list[str]],
    non_spec: dict[str, str],
    missing: set[str],
) -> None:
    """Read ``files``, union their normalized tables and create ``table`` (a table for CSV, else a view).

    ``non_spec`` gains the non-spec columns found; ``missing`` keeps only the spec columns no file has.
    """
    parts: list[ir.Table] = []
    if "csv" in files:
        raw = con.read_csv(files["csv"], table_name=f"{table}_raw_csv", all_varchar=True, union_by_name=True)
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
    """Normalize one raw read of ``files`` and fold what it found into ``non_spec`` and ``missing``."""
    expr, info = normalize_focus(raw, files)
    non_spec.update(info.non_spec)
    missing.intersection_update(info.missing)
    return expr
