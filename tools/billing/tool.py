"""BillingTool: read-only queries over one normalized FOCUS table.

Every query is an Ibis expression over the normalized FOCUS table (see :mod:`tools.billing.focus`), so
it runs unchanged on DuckDB over local CSV/Parquet files (:meth:`BillingTool.from_files`, the default
and what the tests use) and on a warehouse backend holding the export (BigQuery, Snowflake, Trino,
Spark: :meth:`BillingTool.from_backend`). Only small aggregates come back to Python, where money stays
:class:`~decimal.Decimal` and is always paired with its currency.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir

from tools.base import time_left
from tools.billing.anomalies import check_anomaly_args, daily_costs, daily_series, find_spikes
from tools.billing.compute import compute_cost_query, fold_compute_costs
from tools.billing.dimensions import dimension_value
from tools.billing.files import load_files
from tools.billing.focus import SOURCE, FocusInfo, normalize_focus
from tools.billing.models import Anomaly, ComputeCosts, CostRow, ProviderTotal, ResourceCost, UnitPrice
from tools.billing.prices import price_filters, unit_price, unit_price_query
from tools.billing.query import Filters, cost_sums, select
from tools.billing.resources import per_sku_costs, resource_cost
from tools.billing.settings import BillingSettings
from tools.billing.sku_map import SkuMap, load_sku_map
from tools.billing.values import When, money, utc
from tools.errors import BadInput, NotFound, SourceTimeout, SourceUnavailable, ToolError


@contextmanager
def interrupt_at_deadline(con: ibis.BaseBackend) -> Iterator[threading.Event]:
    """Interrupt a DuckDB query still running when the gateway call's time is up.

    Yields the event set when the interrupt fired. Other backends have no interrupt here: their
    queries are bounded by the warehouse's own statement timeout.
    """
    interrupted = threading.Event()
    interrupt = getattr(getattr(con, "con", None), "interrupt", None)
    wait = time_left(math.inf)
    if interrupt is None or not math.isfinite(wait):
        yield interrupted
        return

    def fire() -> None:
        interrupted.set()
        interrupt()

    timer = threading.Timer(wait, fire)
    timer.daemon = True
    timer.start()
    try:
        yield interrupted
    finally:
        timer.cancel()


class BillingTool:
    """Read-only queries over one normalized FOCUS table.

    Args:
        con: an Ibis backend holding the export.
        table: the export's table (or view) name on ``con``.
        info: set when ``table`` is already normalized (by :meth:`from_files`); otherwise the table is
            normalized on the fly, in the same expressions that run the queries.
        sku_map: how compute rows become CPU, memory and GPU costs; default: the shipped map plus the
            one named by ``REFERENT_BILLING_SKU_MAP``, read on first use.

    Raises:
        NotFound: ``table`` does not exist on ``con``.
        BadInput: the table lacks required FOCUS columns (named in the message).
    """

    def __init__(
        self,
        con: ibis.BaseBackend,
        table: str = "focus",
        *,
        info: FocusInfo | None = None,
        sku_map: SkuMap | None = None,
    ) -> None:
        self.con = con
        self._sku_map = sku_map
        self.table_name = table
        self._lock = threading.Lock()
        try:
            raw = con.table(table)
        except Exception as exc:
            raise NotFound(SOURCE, f"no billing table {table!r}: {exc}") from exc
        if info is None:
            self._t, self.info = normalize_focus(raw, [table])
        else:
            self._t, self.info = raw, info

    @classmethod
    def from_files(
        cls, paths: str | Path | Iterable[str | Path], table: str = "focus", *, sku_map: SkuMap | None = None
    ) -> BillingTool:
        """Open FOCUS CSV/Parquet files (a file, directory, glob or list) in an embedded DuckDB."""
        con = ibis.duckdb.connect()
        info = load_files(con, paths, table)
        return cls(con, table, info=info, sku_map=sku_map)

    @classmethod
    def from_backend(cls, con: ibis.BaseBackend, table: str) -> BillingTool:
        """Query a FOCUS table that lives on a warehouse backend (BigQuery, Snowflake, Trino, Spark)."""
        return cls(con, table)

    def non_spec_columns(self) -> dict[str, str]:
        """Columns the FOCUS spec does not define: original name → name in the normalized table."""
        return dict(self.info.non_spec)

    @property
    def table(self) -> ir.Table:
        """The normalized FOCUS table expression."""
        return self._t

    # --- plumbing ---------------------------------------------------------------------------

    def _run(self, expr: ir.Table) -> list[dict[str, Any]]:
        with self._lock, interrupt_at_deadline(self.con) as interrupted:
            try:
                return expr.to_pyarrow().to_pylist()
            except ToolError:
                raise
            except Exception as exc:
                if interrupted.is_set():
                    raise SourceTimeout(SOURCE, "billing query interrupted at the call's deadline") from exc
                name = type(exc).__name__
                if "Conversion" in name or "InvalidInput" in name:
                    raise BadInput(SOURCE, f"billing data could not be converted: {exc}") from exc
                raise SourceUnavailable(SOURCE, f"billing query failed: {exc}") from exc

    def _select(self, start: When = None, end: When = None, filters: Filters | None = None) -> ir.Table:
        return select(self._t, start, end, filters)

    # --- queries ------------------------------------------------------------------------------

    def totals(
        self, by: str | None = None, start: When = None, end: When = None, filters: Filters | None = None
    ) -> list[ProviderTotal]:
        """Total cost per provider and currency (and per ``by`` value when given).

        Args:
            by: optional dimension to split each provider's total by (see :meth:`cost_by`).
            start: first charge period start included (UTC; dates mean midnight).
            end: charge periods starting at or after this are excluded.
            filters: dimension → value or values every row must match.

        Returns:
            One row per provider × currency (× ``by`` value), largest effective cost first.
        """
        t = self._select(start, end, filters)
        keys = {"provider": t.ProviderName, "currency": t.BillingCurrency}
        if by is not None:
            keys["key"] = dimension_value(t, by)
        aggs = {
            **cost_sums(t),
            "contracted": t.ContractedCost.sum(),
            "first": t.ChargePeriodStart.min(),
            "last": t.ChargePeriodEnd.max(),
        }
        rows = self._run(t.group_by(**keys).aggregate(**aggs).order_by(ibis.desc("effective")))
        return [
            ProviderTotal(
                provider=r["provider"],
                key=r.get("key"),
                currency=r["currency"] or "",
                rows=r["n"],
                billed_cost=money(r["billed"]),
                effective_cost=money(r["effective"]),
                list_cost=money(r["list"]),
                contracted_cost=money(r["contracted"]),
                period_start=utc(r["first"]),
                period_end=utc(r["last"]),
            )
            for r in rows
        ]

    def cost_by(
        self,
        dimension: str,
        start: When = None,
        end: When = None,
        filters: Filters | None = None,
        limit: int | None = None,
    ) -> list[CostRow]:
        """BilledCost, EffectiveCost and ListCost per value of ``dimension`` and currency.

        Args:
            dimension: provider, service, service_category, resource, sub_account, region,
                charge_category, sku, day (UTC date of ChargePeriodStart) or ``tag:<key>``.
            start: see :meth:`totals`.
            end: see :meth:`totals`.
            filters: see :meth:`totals`.
            limit: keep only the first ``limit`` rows.

        Returns:
            Rows by effective cost, largest first (by day, oldest first, for ``day``); a row with key
            None holds the cost of rows without a value (untagged, no resource id, ...).

        Raises:
            BadInput: unknown dimension.
        """
        t = self._select(start, end, filters)
        grouped = t.group_by(key=dimension_value(t, dimension), currency=t.BillingCurrency)
        expr = grouped.aggregate(**cost_sums(t))
        expr = expr.order_by("key") if dimension == "day" else expr.order_by(ibis.desc("effective"), "key")
        if limit is not None:
            expr = expr.limit(limit)
        return [
            CostRow(
                dimension=dimension,
                key=r["key"],
                currency=r["currency"] or "",
                rows=r["n"],
                billed_cost=money(r["billed"]),
                effective_cost=money(r["effective"]),
                list_cost=money(r["list"]),
            )
            for r in self._run(expr)
        ]

    def unit_prices(
        self,
        resource_id: str | None = None,
        sku_id: str | None = None,
        start: When = None,
        end: When = None,
        by_resource: bool = False,
        limit: int | None = 100,
    ) -> list[UnitPrice]:
        """Unit prices per SKU (and per resource): list and effective cost per PricingQuantity.

        Args:
            resource_id: only rows of this ResourceId (implies one row per resource).
            sku_id: only rows of this SkuId.
            start: see :meth:`totals`.
            end: see :meth:`totals`.
            by_resource: split each SKU by ResourceId.
            limit: keep only the first ``limit`` rows (largest effective cost first).

        Returns:
            One row per provider × SKU × pricing unit × currency (× resource).
        """
        t = self._select(start, end, price_filters(resource_id, sku_id))
        expr = unit_price_query(t, per_resource=by_resource or resource_id is not None)
        if limit is not None:
            expr = expr.limit(limit)
        return [unit_price(r) for r in self._run(expr)]

    def compute_costs(
        self, start: When = None, end: When = None, filters: Filters | None = None
    ) -> ComputeCosts:
        """CPU, memory and GPU costs found from FOCUS columns and the SKU map.

        Args:
            start: see :meth:`totals`.
            end: see :meth:`totals`.
            filters: see :meth:`totals`.

        Returns:
            One line per classified SKU group (with its cost per vCPU-hour, GiB-hour, GPU-hour or
            instance-hour and the basis of the class) and totals per currency × resource × GPU model.
        """
        if self._sku_map is None:
            self._sku_map = load_sku_map(BillingSettings().sku_map)
        rows = self._run(compute_cost_query(self._select(start, end, filters), self._sku_map))
        return fold_compute_costs(rows, self._sku_map)

    def daily_anomalies(
        self,
        dimension: str = "service",
        window: int = 7,
        threshold: float = 3.0,
        metric: str = "EffectiveCost",
        lookback_days: int = 30,
        filters: Filters | None = None,
    ) -> list[Anomaly]:
        """Days whose cost jumps above the trailing median of the ``window`` days before them.

        The daily cost per dimension value (days without rows count as zero) is compared with the
        median of the previous ``window`` days; the robust z-score is the excess over that median
        divided by 1.4826 × MAD, with the scale floored at 5% of the median (and 0.01) so that flat
        series do not flag rounding noise. Only spikes (cost above the median) are returned.

        Args:
            dimension: see :meth:`cost_by`.
            window: trailing days forming the baseline (at least 3).
            threshold: minimum z-score reported.
            metric: BilledCost, EffectiveCost or ListCost.
            lookback_days: days examined, ending at the last charge day in the data.
            filters: see :meth:`totals`.

        Returns:
            Spikes, highest z-score first, with the day-over-day delta and the baseline.

        Raises:
            BadInput: bad dimension, metric or window.
        """
        check_anomaly_args(metric, window)
        t = self._select(filters=filters)
        last = self._run(t.aggregate(last=t.ChargePeriodStart.max()))[0]["last"]
        if last is None:
            return []
        last_day = utc(last).date()  # type: ignore[union-attr]
        first_day = last_day - timedelta(days=lookback_days - 1)
        t = self._select(first_day, last_day + timedelta(days=1), filters)
        series = daily_series(self._run(daily_costs(t, dimension, metric)))
        days = [first_day + timedelta(days=i) for i in range(lookback_days)]
        return find_spikes(dimension, metric, days, series, window, threshold)

    def cost_for_resource(
        self, resource_id: str | None = None, tags: Mapping[str, str] | None = None, days: int | None = None
    ) -> ResourceCost:
        """Cost and run-rate of one resource (by ResourceId or ResourceName) or of tagged resources.

        Args:
            resource_id: a ResourceId, or a ResourceName (a workload name in Kubernetes exports).
            tags: tag key → value every row must carry (e.g. ``{"workload": "fraud-scorer-serving"}``).
            days: only the last ``days`` days before the latest matching charge period end.

        Returns:
            Totals, hourly and monthly (730 h) run-rates over the covered hours, and lines per SKU.

        Raises:
            BadInput: neither ``resource_id`` nor ``tags`` given, or the rows mix currencies.
            NotFound: no billing rows match.
        """
        if not resource_id and not tags:
            raise BadInput(SOURCE, "give a resource_id (or resource name) or tags")
        t = self._select(filters={f"tag:{k}": v for k, v in (tags or {}).items()})
        if resource_id:
            t = t.filter((t.ResourceId == resource_id) | (t.ResourceName == resource_id))
        if days is not None:
            end = self._run(t.aggregate(end=t.ChargePeriodEnd.max()))[0]["end"]
            if end is not None:
                t = t.filter(t.ChargePeriodStart >= utc(end) - timedelta(days=days))  # type: ignore[operator]
        rows = self._run(per_sku_costs(t))
        if not rows:
            raise NotFound(SOURCE, f"no billing rows for resource={resource_id!r} tags={dict(tags or {})}")
        return resource_cost(resource_id, dict(tags or {}), rows)
