"""CPU, memory and GPU costs from FOCUS columns and the SKU map, on the real FOCUS sample and a world."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from evals.sandbox.billing_world import SAMPLE_DIR, write_billing
from evals.worlds.schema import World
from tools.billing import BillingTool
from tools.billing.settings import BillingSettings
from tools.billing.sku_map import SkuMap, load_sku_map

SAMPLE = SAMPLE_DIR / "focus-1.0-sample.csv"
T2_MICRO_SKU = "F9GPUA3E29X6GJVE"  # a t2.micro whose opaque SKU id happens to contain "GPU"


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with SAMPLE.open(newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def sample() -> BillingTool:
    return BillingTool.from_files(SAMPLE, table="focus_compute")


def _sum(rows: list[dict[str, str]], column: str) -> Decimal:
    return sum((Decimal(r[column]) for r in rows), Decimal(0))


def test_gpu_cost_of_the_real_sample_comes_from_focus_columns(
    sample: BillingTool, rows: list[dict[str, str]]
) -> None:
    costs = sample.compute_costs()
    gpu = [line for line in costs.lines if line.resource == "gpu"]
    assert {(line.instance_type, line.gpu_model) for line in gpu} == {
        ("g5.4xlarge", "A10G"),
        ("g3.4xlarge", "M60"),
    }
    # the expected figures, summed independently from the CSV rows of those instance types
    for itype in ("g5.4xlarge", "g3.4xlarge"):
        mine = [r for r in rows if f" {itype} " in r["ChargeDescription"] and r["ChargeCategory"] == "Usage"]
        line = next(line for line in gpu if line.instance_type == itype)
        assert line.billed_cost == _sum(mine, "BilledCost")
        assert line.quantity == _sum(mine, "PricingQuantity")  # one GPU per instance-hour
        assert line.rows == len(mine) and "ChargeDescription" in line.basis
    total = next(t for t in costs.totals if t.resource == "gpu" and t.gpu_model == "A10G")
    assert total.billed_cost == next(line.billed_cost for line in gpu if line.gpu_model == "A10G")


def test_sku_ids_containing_gpu_are_not_gpus(sample: BillingTool, rows: list[dict[str, str]]) -> None:
    assert any("GPU" in r["SkuId"] for r in rows if r["SkuId"] != T2_MICRO_SKU)  # the VPC SKU, too
    by_sku = {line.sku_id: line for line in sample.compute_costs().lines}
    assert by_sku[T2_MICRO_SKU].resource == "instance" and by_sku[T2_MICRO_SKU].instance_type == "t2.micro"
    assert "4GQUNXTFWVSGPUZK" not in by_sku  # a public IPv4 address: networking, not compute


def test_world_billing_prices_vcpu_memory_and_gpu_hours(tmp_path: Path) -> None:
    world = World.model_validate(
        {
            "name": "billing-compute",
            "history": "2d",
            "workloads": [
                {
                    "name": "trainer",
                    "namespace": "ml",
                    "kind": "training",
                    "cpu_request": 4,
                    "mem_request_gib": 16,
                    "gpus": 2,
                    "gpu_type": "nvidia-t4",
                    "cpu_usage": {"mean": 1},
                    "mem_usage_gib": {"mean": 4},
                }
            ],
            "billing": {"days": 3, "include_sample": False, "effective_discount": 0.25},
        }
    )
    path = write_billing(world, datetime(2026, 12, 1, tzinfo=UTC), tmp_path)
    costs = BillingTool.from_files(path, table="focus_world").compute_costs()
    by = {(t.resource, t.gpu_model): t for t in costs.totals}
    assert by[("cpu", None)].quantity == 4 * 24 * 3
    assert by[("memory", None)].quantity == 16 * 24 * 3
    assert by[("gpu", "T4")].quantity == 2 * 24 * 3
    b = world.billing
    assert by[("cpu", None)].effective_cost_per_unit == pytest.approx(
        Decimal(str(b.cpu_core_hour)) * Decimal("0.75")
    )
    assert by[("gpu", "T4")].effective_cost_per_unit == pytest.approx(
        Decimal(str(b.gpu_hour["nvidia-t4"])) * Decimal("0.75")
    )


def test_a_user_sku_map_classifies_what_the_defaults_cannot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = tmp_path / "skus.yaml"
    user.write_text(
        "rules:\n"
        "  - {match: {SkuId: G95FST5FTYV3JSRX}, resource: gpu, gpu_model: H100, gpus: 8}\n"
        "gpu_instances:\n"
        "  - {pattern: 'c5\\.4xlarge', gpu_model: T4, gpus: 1}\n"
    )
    monkeypatch.setenv("REFERENT_BILLING_SKU_MAP", str(user))
    assert BillingSettings().sku_map == user
    sku_map = load_sku_map(BillingSettings().sku_map)
    tool = BillingTool.from_files(SAMPLE, table="focus_user_map", sku_map=sku_map)
    by_sku = {line.sku_id: line for line in tool.compute_costs().lines}
    assert (
        by_sku["G95FST5FTYV3JSRX"].resource == "gpu" and by_sku["G95FST5FTYV3JSRX"].basis == "SKU map rule 1"
    )
    c5 = next(line for line in by_sku.values() if line.instance_type == "c5.4xlarge")
    assert c5.resource == "gpu" and c5.gpu_model == "T4"


def test_bad_sku_maps_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - {match: {}, resource: gpu}\n")
    with pytest.raises(ValidationError):
        load_sku_map(bad)
    bad.write_text("gpus: 3\n")
    with pytest.raises(ValueError):
        load_sku_map(bad)


@pytest.mark.parametrize(
    ("row", "resource", "model"),
    [
        ({"ServiceCategory": "Compute", "ConsumedUnit": "vCPU-Hours"}, "cpu", None),
        ({"ServiceCategory": "Compute", "PricingUnit": "GiB-Hours"}, "memory", None),
        (
            {"ServiceCategory": "Compute", "ConsumedUnit": "GPU-Hours", "x_UsageType": "EC2-NVIDIA-A10G"},
            "gpu",
            "A10G",
        ),
        (
            {"ServiceCategory": "Compute", "PricingUnit": "Hours", "x_ArmSkuName": "Standard_NC6s_v3"},
            "gpu",
            "V100",
        ),
        (
            {"ServiceCategory": "Compute", "PricingUnit": "Hours", "ChargeDescription": "a2-highgpu-2g"},
            "gpu",
            "A100",
        ),
        ({"ServiceCategory": "Databases", "PricingUnit": "vCPU-Hours"}, None, None),
        ({"ServiceCategory": "Compute", "PricingUnit": "Hours", "SkuId": "XGPUX"}, None, None),
    ],
)
def test_classification_by_units_and_instance_types(
    row: dict[str, str], resource: str | None, model: str | None
) -> None:
    found = load_sku_map().classify(row)
    assert (found.resource if found else None, found.gpu_model if found else None) == (resource, model)


def test_default_map_is_valid() -> None:
    assert isinstance(load_sku_map(), SkuMap) and load_sku_map().gpu_instances
