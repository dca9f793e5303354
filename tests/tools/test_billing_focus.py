"""BillingTool over the real FOCUS 1.0 sample and a sandbox world (DuckDB embedded, no server)."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from evals.sandbox.billing_world import SAMPLE_DIR, transfer_spike_day, write_billing
from evals.worlds.schema import load_world
from tools.base import ActionClass
from tools.billing import BillingTool, specs
from tools.errors import BadInput, NotFound

SAMPLE = SAMPLE_DIR / "focus-1.0-sample.csv"
ANCHOR = datetime(2026, 11, 27, 14, 35, tzinfo=UTC)
METRICS = ("BilledCost", "EffectiveCost", "ListCost")


def _dec(text: str) -> Decimal:
    return Decimal(0) if text in ("", "NULL") else Decimal(text)


@pytest.fixture(scope="module")
def raw_rows() -> list[dict[str, str]]:
    with SAMPLE.open(newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def sample() -> BillingTool:
    return BillingTool.from_files(SAMPLE)


@pytest.fixture(scope="module")
def world_tool(tmp_path_factory: pytest.TempPathFactory) -> BillingTool:
    directory = write_billing(load_world("demo"), ANCHOR, tmp_path_factory.mktemp("billing"))
    return BillingTool.from_files(directory)


def _sums(rows: list[dict[str, str]], key: str) -> dict[str, dict[str, Decimal]]:
    out: dict[str, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(METRICS, Decimal(0)))
    for row in rows:
        for metric in METRICS:
            out[row[key]][metric] += _dec(row[metric])
    return out


def test_sample_totals_equal_decimal_sums_of_the_file(
    sample: BillingTool, raw_rows: list[dict[str, str]]
) -> None:
    expected = _sums(raw_rows, "ProviderName")
    totals = {t.provider: t for t in sample.totals()}
    assert set(totals) == {"AWS", "Microsoft", "Oracle"}
    for provider, sums in expected.items():
        got = totals[provider]
        assert (got.billed_cost, got.effective_cost, got.list_cost) == (
            sums["BilledCost"],
            sums["EffectiveCost"],
            sums["ListCost"],
        )
        assert got.currency == "USD"
    assert {p: t.rows for p, t in totals.items()} == {"AWS": 942, "Microsoft": 51, "Oracle": 7}


def test_sample_quirks_are_normalized(sample: BillingTool, raw_rows: list[dict[str, str]]) -> None:
    t = sample.table
    freq = {
        r["ChargeFrequency"]: r["n"]
        for r in t.group_by("ChargeFrequency").aggregate(n=t.count()).to_pyarrow().to_pylist()
    }
    assert freq == {"Usage-Based": 999, "One-Time": 1}
    nulls = (
        t.aggregate(
            cc=t.ChargeClass.isnull().sum(),
            az=t.AvailabilityZone.isnull().sum(),
            first=t.ChargePeriodStart.min(),
        )
        .to_pyarrow()
        .to_pylist()[0]
    )
    assert nulls["cc"] == 1000
    assert nulls["az"] == sum(r["AvailabilityZone"] in ("", "NULL") for r in raw_rows)
    assert nulls["first"] == datetime(2024, 9, 1, tzinfo=UTC)
    assert sample.non_spec_columns() == {"Id": "x_Id"}
    assert "x_Id" in t.columns and "Id" not in t.columns
    assert "InvoiceId" in sample.info.missing and t.schema()["InvoiceId"].is_string()


@pytest.mark.parametrize("where", [SAMPLE_DIR, str(SAMPLE_DIR / "*.csv")])
def test_directory_or_glob_load_skips_non_focus_csv(where: Path | str) -> None:
    tool = BillingTool.from_files(where)
    assert [Path(s).name for s in tool.info.skipped] == ["focus_v1.2_columns.csv"]
    assert sum(t.rows for t in tool.totals()) == 1000


@pytest.mark.parametrize(
    "dimension",
    [
        "service",
        "resource",
        "sub_account",
        "region",
        "charge_category",
        "provider",
        "sku",
        "day",
        "tag:environment",
    ],
)
def test_cost_by_each_dimension_adds_up(
    sample: BillingTool, raw_rows: list[dict[str, str]], dimension: str
) -> None:
    rows = sample.cost_by(dimension, limit=None)
    for metric, field in zip(METRICS, ("billed_cost", "effective_cost", "list_cost"), strict=True):
        assert sum(getattr(r, field) for r in rows) == sum(_dec(r[metric]) for r in raw_rows)
    assert sum(r.rows for r in rows) == len(raw_rows)
    if dimension == "day":
        keys = [r.key for r in rows]
        assert keys == sorted(keys) and keys[0] == "2024-09-01"


def test_cost_by_service_matches_file(sample: BillingTool, raw_rows: list[dict[str, str]]) -> None:
    expected = _sums(raw_rows, "ServiceName")
    got = {r.key: r for r in sample.cost_by("service", limit=None)}
    assert set(got) == set(expected)
    for name, sums in expected.items():
        assert got[name].effective_cost == sums["EffectiveCost"]


def test_tag_grouping_matches_parsed_json(sample: BillingTool, raw_rows: list[dict[str, str]]) -> None:
    expected: dict[str | None, Decimal] = defaultdict(Decimal)
    for row in raw_rows:
        tags = json.loads(row["Tags"]) if row["Tags"] not in ("", "NULL") else {}
        expected[tags.get("environment")] += _dec(row["ListCost"])
    got = {r.key: r.list_cost for r in sample.cost_by("tag:environment", limit=None)}
    assert got == dict(expected)
    assert "dev" in got and None in got


def test_filters_and_time_window(sample: BillingTool, raw_rows: list[dict[str, str]]) -> None:
    rows = sample.totals(
        filters={"provider": "AWS", "tag:environment": ["dev", "prod"]},
        start=datetime(2024, 9, 10, tzinfo=UTC),
        end=datetime(2024, 9, 20, tzinfo=UTC),
    )
    expected = Decimal(0)
    for row in raw_rows:
        tags = json.loads(row["Tags"]) if row["Tags"] not in ("", "NULL") else {}
        if (
            row["ProviderName"] == "AWS"
            and tags.get("environment") in ("dev", "prod")
            and "2024-09-10" <= row["ChargePeriodStart"] < "2024-09-20"
        ):
            expected += _dec(row["BilledCost"])
    assert [r.provider for r in rows] == ["AWS"]
    assert rows[0].billed_cost == expected


def test_unit_prices_per_sku(sample: BillingTool, raw_rows: list[dict[str, str]]) -> None:
    top = sample.unit_prices(limit=1)[0]
    mine = [r for r in raw_rows if r["SkuId"] == top.sku_id and r["PricingUnit"] == top.pricing_unit]
    qty = sum(_dec(r["PricingQuantity"]) for r in mine)
    assert top.pricing_quantity == qty
    assert top.effective_cost_per_unit == sum(_dec(r["EffectiveCost"]) for r in mine) / qty
    assert top.list_unit_price_max == max(_dec(r["ListUnitPrice"]) for r in mine)
    per_resource = sample.unit_prices(sku_id=top.sku_id, by_resource=True, limit=None)
    assert sum(r.pricing_quantity for r in per_resource if r.pricing_unit == top.pricing_unit) == qty


def test_resource_cost_run_rate(sample: BillingTool) -> None:
    top = sample.cost_by("resource", limit=1)[0]
    cost = sample.cost_for_resource(top.key, days=None)
    assert cost.effective_cost == top.effective_cost
    assert cost.hourly_effective * Decimal(str(cost.hours)) == cost.effective_cost
    assert cost.monthly_effective == cost.hourly_effective * 730


def test_anomalies_find_the_world_transfer_spike(world_tool: BillingTool) -> None:
    found = world_tool.daily_anomalies(dimension="service", window=7, threshold=3.0)
    assert [(a.key, a.day) for a in found] == [("AWS Data Transfer", transfer_spike_day(ANCHOR))]
    spike = found[0]
    assert spike.delta > 0 and spike.cost > 5 * spike.baseline_median and spike.z_score > 10
    by_tag = world_tool.daily_anomalies(dimension="tag:team")
    assert by_tag[0].key == "payments-platform"


def test_from_backend_normalizes_on_the_fly(raw_rows: list[dict[str, str]]) -> None:
    con = ibis.duckdb.connect()
    con.read_csv(str(SAMPLE), table_name="raw_focus", all_varchar=True)
    tool = BillingTool.from_backend(con, "raw_focus")
    expected = _sums(raw_rows, "ProviderName")
    assert {t.provider: t.effective_cost for t in tool.totals()} == {
        p: s["EffectiveCost"] for p, s in expected.items()
    }
    assert tool.non_spec_columns() == {"Id": "x_Id"}


def test_parquet_with_map_tags_and_float_costs_joins_csv(tmp_path: Path) -> None:
    table = pa.table(
        {
            "BilledCost": pa.array([1.25, 2.5]),
            "EffectiveCost": pa.array([1.0, 2.0]),
            "ListCost": pa.array([1.5, 3.0]),
            "BillingCurrency": ["USD", "USD"],
            "ChargePeriodStart": pa.array([datetime(2025, 1, 1), datetime(2025, 1, 2)], pa.timestamp("us")),
            "ChargePeriodEnd": pa.array([datetime(2025, 1, 2), datetime(2025, 1, 3)], pa.timestamp("us")),
            "providername": ["AWS", "AWS"],
            "ServiceName": ["Amazon S3", "Amazon S3"],
            "ChargeCategory": ["usage", "Usage"],
            "Tags": pa.array([[("team", "a")], [("team", "b")]], pa.map_(pa.string(), pa.string())),
            "x_Operation": ["GetObject", "PutObject"],
        }
    )
    pq.write_table(table, tmp_path / "part-0.snappy.parquet")
    tool = BillingTool.from_files([tmp_path / "part-0.snappy.parquet", SAMPLE])
    got = {r.key: r.billed_cost for r in tool.cost_by("tag:team", filters={"service": "Amazon S3"})}
    assert got == {"a": Decimal("1.25"), "b": Decimal("2.5")}
    assert {r.key for r in tool.cost_by("charge_category", filters={"service": "Amazon S3"})} == {"Usage"}
    assert tool.non_spec_columns() == {"Id": "x_Id", "x_Operation": "x_Operation"}


def test_errors(sample: BillingTool, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="unknown dimension 'colour'"):
        sample.cost_by("colour")
    with pytest.raises(BadInput):
        sample.daily_anomalies(metric="Cost")
    with pytest.raises(NotFound) as missing:
        BillingTool.from_files(tmp_path / "nope")
    assert missing.value.source == "billing"
    with pytest.raises(NotFound):
        BillingTool.from_files(tmp_path)
    with pytest.raises(NotFound):
        BillingTool.from_backend(ibis.duckdb.connect(), "no_such_table")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "BilledCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ProviderName,ServiceName,"
        "ChargeCategory\n1,USD,2024-01-01,2024-01-02,AWS,S3,Usage\n"
    )
    with pytest.raises(BadInput, match="EffectiveCost, ListCost"):
        BillingTool.from_files(bad)
    with pytest.raises(BadInput, match="unsupported"):
        BillingTool.from_files(SAMPLE_DIR / "SOURCE.md")
    with pytest.raises(NotFound):
        sample.cost_for_resource("no-such-resource")
    with pytest.raises(BadInput):
        sample.cost_for_resource()


def test_specs_are_read_only_and_callable(sample: BillingTool) -> None:
    by_name = {s.name: s for s in specs(sample)}
    assert set(by_name) == {
        "billing.totals",
        "billing.cost_by",
        "billing.unit_prices",
        "billing.compute_costs",
        "billing.anomalies",
        "billing.resource_cost",
    }
    assert all(s.action is ActionClass.READ and s.source == "billing" for s in by_name.values())
    cost_by = by_name["billing.cost_by"]
    rows = cost_by.func(cost_by.input_model.model_validate({"dimension": "provider", "limit": 2}))
    assert [r.key for r in rows] == ["AWS", "Microsoft"]
    totals = by_name["billing.totals"]
    assert len(totals.func(totals.input_model.model_validate({}))) == 3
