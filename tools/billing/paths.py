"""Billing paths: expanding files, directories, globs and URLs into data files (no Ibis, no Arrow).

:func:`tools.billing.files.discover_files` builds on it (and reads the headers);
:class:`tools.billing.lazy.LazyBillingTool` uses it alone at start, to refuse a path that names nothing.
"""

from __future__ import annotations

import glob
from pathlib import Path

from tools.billing.names import SOURCE
from tools.errors import BadInput, NotFound

REMOTE = ("s3://", "gs://", "az://", "abfss://", "http://", "https://")
SUFFIXES = {".csv": "csv", ".csv.gz": "csv", ".parquet": "parquet", ".pq": "parquet"}


def kind(path: str) -> str | None:
    """``csv`` or ``parquet`` from the file name's suffix; None for other files."""
    lower = path.lower()
    return next((k for suffix, k in SUFFIXES.items() if lower.endswith(suffix)), None)


def expand(item: str | Path) -> tuple[list[str], bool]:
    """Expand one path, directory (searched recursively) or glob into data files.

    Returns:
        The files, and whether ``item`` named them explicitly (not by directory or glob).

    Raises:
        NotFound: ``item`` is a local path that does not exist.
        BadInput: ``item`` names a file that is neither CSV nor Parquet.
    """
    text = str(item)
    if text.startswith(REMOTE):
        return [text], True
    if any(ch in text for ch in "*?["):
        return sorted(p for p in glob.glob(text, recursive=True) if kind(p)), False
    path = Path(text)
    if path.is_dir():
        return sorted(str(p) for p in path.rglob("*") if p.is_file() and kind(p.name)), False
    if not path.exists():
        raise NotFound(SOURCE, f"no such billing file or directory: {text}")
    if kind(text) is None:
        raise BadInput(SOURCE, f"unsupported billing file type (want .csv, .csv.gz, .parquet): {text}")
    return [text], True
