"""The sandbox world's FOCUS billing rows agree with its workloads' requests."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from evals.sandbox.billing_world import (
    EC2,
    TRANSFER,
    charge_days,
    pod_resource_id,
    transfer_spike_day,
    write_billing,
)
from evals.worlds.schema import World, load_world
from tools.billing import BillingTool

ANCHOR = datetime(2026, 11, 27, 14, 35, tzinfo=UTC)


@pytest.fixture(scope="module")
def world() -> World:
    return load_world("demo")


@pytest.fixture(scope="module")
def directory(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_billing(world, ANCHOR, tmp_path_factory.mktemp("world-billing"))


@pytest.fixture(scope="module")
def tool(directory: Path) -> BillingTool:
    return BillingTool.from_files(directory)


def test_days_end_before_the_anchor(world: World, tool: BillingTool) -> None:
    days = charge_days(world, ANCHOR)
    assert len(days) == world.billing.days == 30 and str(days[-1]) == "2026-11-26"
    mine = tool.cost_by("day", filters={"sub_account": world.billing.sub_account_id}, limit=None)
    assert [r.key for r in mine] == [str(d) for d in days]


def test_compute_rows_follow_workload_requests(world: World, tool: BillingTool) -> None:
    b, n = world.billing, world.billing.days
    rate = 1 - Decimal(str(b.effective_discount))
    for w in world.workloads:
        cost = tool.cost_for_resource(pod_resource_id(b, w), days=None)
        lines = {line.sku_id: line for line in cost.lines}
        vcpu, mem = lines["EKS-VCPU-HOURS"], lines["EKS-MEMORY-GB-HOURS"]
        assert vcpu.pricing_quantity == Decimal(str(w.replicas * w.cpu_request * 24 * n))
        assert mem.pricing_quantity == Decimal(str(w.replicas * w.mem_request_gib * 24 * n))
        assert vcpu.list_cost == vcpu.pricing_quantity * Decimal(str(b.cpu_core_hour))
        assert vcpu.effective_cost == (vcpu.list_cost * rate).quantize(Decimal("1e-9"))
        assert cost.billed_cost == 0  # billed through the Savings Plan fee
        assert cost.hours == 24 * n
        assert (f"EC2-GPU-{w.gpu_type.upper()}" in lines) == bool(w.gpus)


def test_idle_gpu_of_fraud_retrain_is_billed(world: World, tool: BillingTool) -> None:
    w, b = world.workload("fraud-retrain-gpu"), world.billing
    cost = tool.cost_for_resource("fraud-retrain-gpu", days=None)
    gpu = next(line for line in cost.lines if line.service == EC2)
    hours = Decimal(24 * b.days * w.gpus * w.replicas)
    assert gpu.sku_id == "EC2-GPU-NVIDIA-A10G" and gpu.pricing_quantity == hours
    assert gpu.list_cost == hours * Decimal(str(b.gpu_hour["nvidia-a10g"]))
    assert gpu.effective_cost == gpu.list_cost * (1 - Decimal(str(b.effective_discount)))
    week = tool.cost_for_resource(tags={"workload": "fraud-retrain-gpu"}, days=7)
    assert week.hours == 168 and week.monthly_effective == cost.monthly_effective


def test_tags_carry_workload_labels(world: World, directory: Path) -> None:
    table = pq.read_table(directory / "focus-demo.parquet", columns=["ResourceName", "Tags"]).to_pylist()
    workloads = {w.name: w for w in world.workloads}
    seen = set()
    for row in table:
        if row["ResourceName"] in workloads:
            w = workloads[row["ResourceName"]]
            tags = json.loads(row["Tags"])
            assert tags == {
                "namespace": w.namespace,
                "workload": w.name,
                "team": w.team,
                "env": w.env,
                **({"model": w.model} if w.model else {}),
            }
            seen.add(w.name)
    assert seen == set(workloads)


def test_billed_equals_effective_per_day_and_spike(world: World, tool: BillingTool) -> None:
    mine = {"sub_account": world.billing.sub_account_id}
    for day in tool.cost_by("day", filters=mine, limit=None):
        assert day.billed_cost == day.effective_cost
    transfer = {
        r.key: r.effective_cost for r in tool.cost_by("day", filters=mine | {"service": TRANSFER}, limit=None)
    }
    spike = str(transfer_spike_day(ANCHOR))
    others = sorted(v for k, v in transfer.items() if k != spike)
    assert transfer[spike] > 5 * others[len(others) // 2]


def test_sample_shipped_with_attribution(directory: Path) -> None:
    source = (directory / "focus-sample" / "SOURCE.md").read_text()
    assert "CC BY 4.0" in source and "FinOps Foundation" in source
    assert (directory / "focus-sample" / "focus-1.0-sample.csv").exists()


def test_deterministic(world: World, directory: Path, tmp_path: Path) -> None:
    again = write_billing(world, ANCHOR, tmp_path)
    first = pq.read_table(directory / "focus-demo.parquet")
    assert pq.read_table(again / "focus-demo.parquet").equals(first)
