"""A billing tool over FOCUS files that loads them on its first query, not at start.

Ibis, Arrow and DuckDB cost about a second to import and the files half a second or more to load; a
command that asks nothing of billing (most triages, runbooks, promotions) should pay neither. At start
:class:`LazyBillingTool` only checks that the paths name data files (no header read, no import), so a
missing path still fails the source at start; the first attribute access opens the files with
:meth:`tools.billing.tool.BillingTool.from_files` and every later one reuses that tool.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tools.billing.names import SOURCE
from tools.billing.paths import expand
from tools.errors import NotFound

if TYPE_CHECKING:
    from tools.billing.sku_map import SkuMap
    from tools.billing.tool import BillingTool


class LazyBillingTool:
    """Stands in for a :class:`~tools.billing.tool.BillingTool` over files, built on first use.

    Args:
        paths: a file, directory, glob or URL, or a list of them (as for ``BillingTool.from_files``).
        table: the normalized table's name.
        sku_map: passed on to the tool.

    Raises:
        NotFound: a local path does not exist, or the paths match no CSV or Parquet file.
        BadInput: a path names a file that is neither CSV nor Parquet.
    """

    def __init__(
        self,
        paths: str | Path | Iterable[str | Path],
        table: str = "focus",
        *,
        sku_map: SkuMap | None = None,
    ) -> None:
        items = [paths] if isinstance(paths, str | Path) else list(paths)
        if not any(expand(item)[0] for item in items):
            raise NotFound(SOURCE, f"no CSV or Parquet files under {', '.join(map(str, items))}")
        self._paths = items
        self._table = table
        self._sku_map = sku_map
        self._tool: BillingTool | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the files have been opened (by a first query)."""
        return self._tool is not None

    def _real(self) -> BillingTool:
        with self._lock:
            if self._tool is None:
                from tools.billing.tool import BillingTool

                self._tool = BillingTool.from_files(self._paths, self._table, sku_map=self._sku_map)
            return self._tool

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # private names are this object's own (set in __init__)
            raise AttributeError(name)
        return getattr(self._real(), name)
