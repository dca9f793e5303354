"""Cloud billing over FOCUS data: totals, cost breakdowns, unit prices, anomalies, resource run-rates.

Every query is an Ibis expression over the normalized FOCUS table (see :mod:`tools.billing_focus`), so
it runs unchanged on DuckDB over local CSV/Parquet files (:meth:`BillingTool.from_files`, the default
and what the tests use) and on a warehouse backend holding the export (BigQuery, Snowflake, Trino,
Spark: :meth:`BillingTool.from_backend`). Only small aggregates come back to Python, where money stays
:class:`~decimal.Decimal` and is always paired with its currency.
"""

from __future__ import annotations

import statistics
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
from pydantic import BaseModel, Field

from tools.base import ActionClass, ToolSpec
from tools.billing_focus import (
    DIMENSION_HELP,
    SOURCE,
    FocusInfo,
    dimension_value,
    load_files,
    normalize_focus,
)
from tools.errors import BadInput, NotFound, SourceUnavailable, ToolError

HOURS_PER_MONTH = Decimal(730)
Filters = Mapping[str, str | Sequence[str]]
When = datetime | date | None

# --- result rows (money is Decimal, always with its currency) ----------------------------------


class _Costs(BaseModel):
    currency: str = Field(description="ISO currency of every amount in the row (BillingCurrency)")
    billed_cost: Decimal = Field(description="sum of BilledCost: what is invoiced")
    effective_cost: Decimal = Field(description="sum of EffectiveCost: amortized cost after discounts")
    list_cost: Decimal = Field(description="sum of ListCost: cost at public list prices")
    rows: int = Field(description="billing rows aggregated")


class ProviderTotal(_Costs):
    provider: str | None
    key: str | None = Field(default=None, description="value of the `by` dimension, when asked")
    contracted_cost: Decimal
    period_start: datetime | None = Field(description="earliest ChargePeriodStart (UTC)")
    period_end: datetime | None = Field(description="latest ChargePeriodEnd (UTC)")


class CostRow(_Costs):
    dimension: str
    key: str | None = Field(description="dimension value; null for rows without one (e.g. untagged)")


class UnitPrice(BaseModel):
    provider: str | None
    sku_id: str | None
    resource_id: str | None = None
    pricing_unit: str | None
    currency: str
    rows: int
    pricing_quantity: Decimal
    list_cost: Decimal
    effective_cost: Decimal
    list_unit_price_min: Decimal | None = Field(description="lowest ListUnitPrice seen")
    list_unit_price_max: Decimal | None = Field(description="highest ListUnitPrice seen")
    contracted_unit_price: Decimal | None = Field(description="highest ContractedUnitPrice seen")
    list_cost_per_unit: Decimal | None = Field(description="ListCost / PricingQuantity")
    effective_cost_per_unit: Decimal | None = Field(description="EffectiveCost / PricingQuantity")


class Anomaly(BaseModel):
    dimension: str
    key: str | None
    currency: str
    metric: str
    day: date
    cost: Decimal = Field(description="the day's cost")
    previous_cost: Decimal
    delta: Decimal = Field(description="cost minus the previous day's cost")
    baseline_median: Decimal = Field(description="median daily cost of the trailing window")
    baseline_mad: Decimal = Field(description="median absolute deviation of the trailing window")
    z_score: float


class ResourceCostLine(BaseModel):
    service: str | None
    sku_id: str | None
    pricing_unit: str | None
    pricing_quantity: Decimal
    billed_cost: Decimal
    effective_cost: Decimal
    list_cost: Decimal


class ResourceCost(BaseModel):
    resource: str | None
    tags: dict[str, str]
    currency: str
    start: datetime
    end: datetime
    hours: float = Field(description="hours between the first charge period start and the last end")
    billed_cost: Decimal
    effective_cost: Decimal
    list_cost: Decimal
    hourly_effective: Decimal
    monthly_effective: Decimal = Field(description="hourly_effective x 730")
    hourly_list: Decimal
    monthly_list: Decimal
    resource_ids: list[str] = Field(description="matching ResourceIds (at most 50)")
    lines: list[ResourceCostLine]


def _plain(value: Decimal) -> Decimal:
    """The same number without trailing zeros or exponent (``13.000`` → ``13``, ``0E-15`` → ``0``)."""
    value = value.normalize()
    return value.quantize(Decimal(1)) if value.as_tuple().exponent > 0 else value  # type: ignore[operator]


def _money(value: Any) -> Decimal:
    """A backend number as an exact Decimal (NULL → 0; floats through their shortest repr)."""
    if value is None:
        return Decimal(0)
    if not isinstance(value, Decimal):
        value = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return _plain(value)


def _opt_money(value: Any) -> Decimal | None:
    return None if value is None else _money(value)


def _utc(value: When) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        return datetime.combine(value, time(), tzinfo=UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _ratio(num: Decimal, den: Decimal | None) -> Decimal | None:
    return None if not den else _plain(num / den)


class BillingTool:
    """Read-only queries over one normalized FOCUS table.

    Args:
        con: an Ibis backend holding the export.
        table: the export's table (or view) name on ``con``.
        info: set when ``table`` is already normalized (by :meth:`from_files`); otherwise the table is
            normalized on the fly, in the same expressions that run the queries.

    Raises:
        NotFound: ``table`` does not exist on ``con``.
        BadInput: the table lacks required FOCUS columns (named in the message).
    """

    def __init__(self, con: ibis.BaseBackend, table: str = "focus", *, info: FocusInfo | None = None) -> None:
        self.con = con
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
    def from_files(cls, paths: str | Path | Iterable[str | Path], table: str = "focus") -> BillingTool:
        """Open FOCUS CSV/Parquet files (a file, directory, glob or list) in an embedded DuckDB."""
        con = ibis.duckdb.connect()
        info = load_files(con, paths, table)
        return cls(con, table, info=info)

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
        with self._lock:
            try:
                return expr.to_pyarrow().to_pylist()
            except ToolError:
                raise
            except Exception as exc:
                name = type(exc).__name__
                if "Conversion" in name or "InvalidInput" in name:
                    raise BadInput(SOURCE, f"billing data could not be converted: {exc}") from exc
                raise SourceUnavailable(SOURCE, f"billing query failed: {exc}") from exc

    def _select(self, start: When = None, end: When = None, filters: Filters | None = None) -> ir.Table:
        t = self._t
        if (lo := _utc(start)) is not None:
            t = t.filter(t.ChargePeriodStart >= lo)
        if (hi := _utc(end)) is not None:
            t = t.filter(t.ChargePeriodStart < hi)
        for dim, wanted in (filters or {}).items():
            values = [wanted] if isinstance(wanted, str) else list(wanted)
            t = t.filter(dimension_value(t, dim).isin(values))
        return t

    @staticmethod
    def _costs(t: ir.Table) -> dict[str, ir.Value]:
        return {
            "billed": t.BilledCost.sum(),
            "effective": t.EffectiveCost.sum(),
            "list": t.ListCost.sum(),
            "n": t.count(),
        }

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
            **self._costs(t),
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
                billed_cost=_money(r["billed"]),
                effective_cost=_money(r["effective"]),
                list_cost=_money(r["list"]),
                contracted_cost=_money(r["contracted"]),
                period_start=_utc(r["first"]),
                period_end=_utc(r["last"]),
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
        expr = grouped.aggregate(**self._costs(t))
        expr = expr.order_by("key") if dimension == "day" else expr.order_by(ibis.desc("effective"), "key")
        if limit is not None:
            expr = expr.limit(limit)
        return [
            CostRow(
                dimension=dimension,
                key=r["key"],
                currency=r["currency"] or "",
                rows=r["n"],
                billed_cost=_money(r["billed"]),
                effective_cost=_money(r["effective"]),
                list_cost=_money(r["list"]),
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
        filters: dict[str, str] = {}
        if resource_id is not None:
            filters["resource"] = resource_id
        if sku_id is not None:
            filters["sku"] = sku_id
        t = self._select(start, end, filters)
        keys: dict[str, ir.Value] = {
            "provider": t.ProviderName,
            "sku": t.SkuId,
            "unit": t.PricingUnit,
            "currency": t.BillingCurrency,
        }
        if by_resource or resource_id is not None:
            keys["resource"] = t.ResourceId
        expr = (
            t.group_by(**keys)
            .aggregate(
                **self._costs(t),
                qty=t.PricingQuantity.sum(),
                lup_min=t.ListUnitPrice.min(),
                lup_max=t.ListUnitPrice.max(),
                cup=t.ContractedUnitPrice.max(),
            )
            .order_by(ibis.desc("effective"), "sku")
        )
        if limit is not None:
            expr = expr.limit(limit)
        out = []
        for r in self._run(expr):
            qty, eff, lst = _money(r["qty"]), _money(r["effective"]), _money(r["list"])
            out.append(
                UnitPrice(
                    provider=r["provider"],
                    sku_id=r["sku"],
                    resource_id=r.get("resource"),
                    pricing_unit=r["unit"],
                    currency=r["currency"] or "",
                    rows=r["n"],
                    pricing_quantity=qty,
                    list_cost=lst,
                    effective_cost=eff,
                    list_unit_price_min=_opt_money(r["lup_min"]),
                    list_unit_price_max=_opt_money(r["lup_max"]),
                    contracted_unit_price=_opt_money(r["cup"]),
                    list_cost_per_unit=_ratio(lst, qty),
                    effective_cost_per_unit=_ratio(eff, qty),
                )
            )
        return out

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
        if metric not in {"BilledCost", "EffectiveCost", "ListCost"}:
            raise BadInput(SOURCE, f"metric must be BilledCost, EffectiveCost or ListCost, not {metric!r}")
        if window < 3:
            raise BadInput(SOURCE, "window must be at least 3 days")
        t = self._select(filters=filters)
        last = self._run(t.aggregate(last=t.ChargePeriodStart.max()))[0]["last"]
        if last is None:
            return []
        last_day = _utc(last).date()  # type: ignore[union-attr]
        first_day = last_day - timedelta(days=lookback_days - 1)
        t = self._select(first_day, last_day + timedelta(days=1), filters)
        expr = t.group_by(
            key=dimension_value(t, dimension), currency=t.BillingCurrency, day=t.ChargePeriodStart.date()
        ).aggregate(cost=t[metric].sum())
        series: dict[tuple[str | None, str], dict[date, Decimal]] = defaultdict(dict)
        for r in self._run(expr):
            series[(r["key"], r["currency"] or "")][r["day"]] = _money(r["cost"])
        days = [first_day + timedelta(days=i) for i in range(lookback_days)]
        found = [
            a
            for (key, cur), by_day in series.items()
            for a in _spikes(dimension, key, cur, metric, days, by_day, window, threshold)
        ]
        return sorted(found, key=lambda a: -a.z_score)

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
                t = t.filter(t.ChargePeriodStart >= _utc(end) - timedelta(days=days))  # type: ignore[operator]
        expr = (
            t.group_by(currency=t.BillingCurrency, service=t.ServiceName, sku=t.SkuId, unit=t.PricingUnit)
            .aggregate(
                **self._costs(t),
                qty=t.PricingQuantity.sum(),
                first=t.ChargePeriodStart.min(),
                last=t.ChargePeriodEnd.max(),
                ids=t.ResourceId.collect(distinct=True),
            )
            .order_by(ibis.desc("effective"))
        )
        rows = self._run(expr)
        if not rows:
            raise NotFound(SOURCE, f"no billing rows for resource={resource_id!r} tags={dict(tags or {})}")
        return _resource_cost(resource_id, dict(tags or {}), rows)


def _spikes(
    dimension: str,
    key: str | None,
    currency: str,
    metric: str,
    days: list[date],
    by_day: dict[date, Decimal],
    window: int,
    threshold: float,
) -> list[Anomaly]:
    """Robust z-score spikes of one daily series (see :meth:`BillingTool.daily_anomalies`)."""
    costs = [by_day.get(d, Decimal(0)) for d in days]
    out = []
    for i in range(window, len(costs)):
        base = costs[i - window : i]
        median = statistics.median(base)
        mad = statistics.median(abs(c - median) for c in base)
        scale = max(Decimal("1.4826") * mad, abs(median) * Decimal("0.05"), Decimal("0.01"))
        z = float((costs[i] - median) / scale)
        if z >= threshold:
            out.append(
                Anomaly(
                    dimension=dimension,
                    key=key,
                    currency=currency,
                    metric=metric,
                    day=days[i],
                    cost=costs[i],
                    previous_cost=costs[i - 1],
                    delta=costs[i] - costs[i - 1],
                    baseline_median=median,
                    baseline_mad=mad,
                    z_score=round(z, 3),
                )
            )
    return out


def _resource_cost(resource: str | None, tags: dict[str, str], rows: list[dict[str, Any]]) -> ResourceCost:
    """Fold per-SKU aggregate rows into one :class:`ResourceCost`."""
    currencies = {r["currency"] for r in rows}
    if len(currencies) > 1:
        raise BadInput(SOURCE, f"rows mix currencies {sorted(map(str, currencies))}; filter further")
    starts = [s for r in rows if (s := _utc(r["first"])) is not None]
    ends = [e for r in rows if (e := _utc(r["last"])) is not None]
    if not starts or not ends:
        raise BadInput(SOURCE, "the matching rows have no charge periods")
    start, end = min(starts), max(ends)
    hours = Decimal((end - start).total_seconds()) / Decimal(3600)
    lines = [
        ResourceCostLine(
            service=r["service"],
            sku_id=r["sku"],
            pricing_unit=r["unit"],
            pricing_quantity=_money(r["qty"]),
            billed_cost=_money(r["billed"]),
            effective_cost=_money(r["effective"]),
            list_cost=_money(r["list"]),
        )
        for r in rows
    ]
    effective = sum((line.effective_cost for line in lines), Decimal(0))
    listed = sum((line.list_cost for line in lines), Decimal(0))
    ids = sorted({i for r in rows for i in (r["ids"] or []) if i is not None})
    hourly, hourly_list = _ratio(effective, hours) or Decimal(0), _ratio(listed, hours) or Decimal(0)
    month, month_list = _plain(hourly * HOURS_PER_MONTH), _plain(hourly_list * HOURS_PER_MONTH)
    return ResourceCost(
        resource=resource,
        tags=tags,
        currency=next(iter(currencies)) or "",
        start=start,
        end=end,
        hours=float(hours),
        billed_cost=sum((line.billed_cost for line in lines), Decimal(0)),
        effective_cost=effective,
        list_cost=listed,
        hourly_effective=hourly,
        monthly_effective=month,
        hourly_list=hourly_list,
        monthly_list=month_list,
        resource_ids=ids[:50],
        lines=lines,
    )


# --- tool specs ---------------------------------------------------------------------------------

_DIM = f"one of {DIMENSION_HELP} (tag:<key> groups by that tag's value; day is the UTC date)"
_FILTERS = "dimension -> value or list of values every row must match, e.g. {'tag:team': 'fraud-ml'}"


class _Window(BaseModel):
    start: datetime | None = Field(default=None, description="first ChargePeriodStart included (UTC)")
    end: datetime | None = Field(default=None, description="ChargePeriodStart before this (UTC)")
    filters: dict[str, str | list[str]] = Field(default_factory=dict, description=_FILTERS)


class TotalsInput(_Window):
    by: str | None = Field(default=None, description=f"optional split: {_DIM}")


class CostByInput(_Window):
    dimension: str = Field(description=_DIM)
    limit: int | None = Field(default=25, ge=1, le=1000, description="rows returned at most")


class UnitPricesInput(BaseModel):
    resource_id: str | None = Field(default=None, description="only this ResourceId")
    sku_id: str | None = Field(default=None, description="only this SkuId")
    by_resource: bool = Field(default=False, description="one row per SKU and resource")
    start: datetime | None = None
    end: datetime | None = None
    limit: int | None = Field(default=50, ge=1, le=1000)


class AnomaliesInput(BaseModel):
    dimension: str = Field(default="service", description=_DIM)
    window: int = Field(default=7, ge=3, le=60, description="trailing days forming the baseline")
    threshold: float = Field(default=3.0, gt=0, description="minimum robust z-score reported")
    metric: str = Field(default="EffectiveCost", description="BilledCost, EffectiveCost or ListCost")
    lookback_days: int = Field(default=30, ge=4, le=400, description="days examined, ending at the latest")
    filters: dict[str, str | list[str]] = Field(default_factory=dict, description=_FILTERS)


class ResourceCostInput(BaseModel):
    resource_id: str | None = Field(default=None, description="ResourceId, or ResourceName (workload)")
    tags: dict[str, str] = Field(default_factory=dict, description="tag key -> value to match")
    days: int | None = Field(default=7, ge=1, le=400, description="last N days of data; null = all")


def specs(tool: BillingTool) -> list[ToolSpec]:
    """The read-only billing tools the gateway exposes, bound to ``tool``."""

    def _spec(name: str, description: str, model: type[BaseModel], func: Any) -> ToolSpec:
        return ToolSpec(
            name=name,
            description=description,
            input_model=model,
            action=ActionClass.READ,
            func=func,
            source=SOURCE,
            tags=("billing", "finops"),
        )

    return [
        _spec(
            "billing.totals",
            "Total FOCUS billing cost per cloud provider and currency (BilledCost, EffectiveCost, "
            "ListCost, ContractedCost, row count, first/last charge period), optionally split by a "
            "dimension and restricted to a time window and filters.",
            TotalsInput,
            lambda a: tool.totals(a.by, a.start, a.end, a.filters),
        ),
        _spec(
            "billing.cost_by",
            "Cost grouped by one dimension (service, resource, sub_account, region, charge_category, "
            "sku, provider, service_category, day or tag:<key>), each row with BilledCost, "
            "EffectiveCost and ListCost in its currency; largest effective cost first (days in order). "
            "A null key holds rows without a value.",
            CostByInput,
            lambda a: tool.cost_by(a.dimension, a.start, a.end, a.filters, a.limit),
        ),
        _spec(
            "billing.unit_prices",
            "Unit prices per SKU and pricing unit (optionally per resource): summed PricingQuantity, "
            "ListCost and EffectiveCost, the min/max ListUnitPrice, and list and effective cost per "
            "pricing unit.",
            UnitPricesInput,
            lambda a: tool.unit_prices(a.resource_id, a.sku_id, a.start, a.end, a.by_resource, a.limit),
        ),
        _spec(
            "billing.anomalies",
            "Daily cost spikes per dimension value: days whose cost exceeds the median of the trailing "
            "window by at least `threshold` robust z-scores (median/MAD), with the cost, the "
            "day-over-day delta and the baseline; highest z-score first. Empty list = no spikes.",
            AnomaliesInput,
            lambda a: tool.daily_anomalies(
                a.dimension, a.window, a.threshold, a.metric, a.lookback_days, a.filters
            ),
        ),
        _spec(
            "billing.resource_cost",
            "Cost of one resource (ResourceId or ResourceName, e.g. a workload) or of the resources "
            "carrying the given tags over the last `days` days: totals, hourly and monthly (730 h) "
            "effective and list run-rates, and one line per service/SKU. Fails with not_found when "
            "no rows match.",
            ResourceCostInput,
            lambda a: tool.cost_for_resource(a.resource_id, a.tags, a.days),
        ),
    ]
