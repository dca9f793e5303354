"""The billing of a world: FOCUS 1.2 rows for its workloads, written as Parquet.

For each of the ``world.billing.days`` complete UTC days before the anchor's day, every workload gets
daily usage rows priced from its Kubernetes *requests* (what the Prometheus world exposes as
``kube_pod_container_resource_requests``), because requests are what a cluster pays for:

- vCPU: ``replicas × cpu_request × 24`` hours at ``cpu_core_hour`` (Amazon Elastic Kubernetes Service);
- memory: ``replicas × mem_request_gib × 24`` GB-hours at ``mem_gib_hour`` (same service);
- GPU: ``replicas × gpus × 24`` hours at ``gpu_hour[gpu_type]`` (Amazon Elastic Compute Cloud), billed
  whether or not the GPU is used, so an idle GPU still costs.

All three share the pod's ResourceId ``arn:aws:eks:<region>:<sub account>:pod/<namespace>/<workload>`` and
carry Tags ``namespace, workload, team, env`` (+ ``model``). Compute is covered by a Compute Savings Plan
as AWS reports it: usage rows have ``BilledCost`` 0 and ``EffectiveCost`` = list × (1 − discount), and
one recurring Savings Plan fee row per day bills the covered amount, so daily BilledCost and
EffectiveCost totals agree. Two non-compute lines are added: S3 storage of the MLflow artifact bucket
(growing daily) and internet data transfer through the NAT gateway, which spikes ×6 four days before the
anchor (:data:`TRANSFER_SPIKE_DAYS_AGO`) — the day-over-day anomaly the billing tool should find.

Everything derives from the world, the anchor and ``world.seed``: the same inputs write the same rows.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.parquet as pq

from evals.worlds.schema import BillingSpec, WorkloadSpec, World
from tools.billing.focus import FOCUS_COLUMNS

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "data" / "focus"
SAMPLE_FILES = ("focus-1.0-sample.csv", "SOURCE.md")
TRANSFER_SPIKE_DAYS_AGO = 4
TRANSFER_SPIKE_FACTOR = 6
EKS = "Amazon Elastic Kubernetes Service"
EC2 = "Amazon Elastic Compute Cloud"
TRANSFER = "AWS Data Transfer"
S3 = "Amazon Simple Storage Service"
SAVINGS_PLAN = "Savings Plans for AWS Compute usage"
_S3_GB_MONTH = Decimal("0.0405")
_TRANSFER_GB = Decimal("0.15")
_ISSUER = {"AWS": "Amazon Web Services, Inc.", "Microsoft": "Microsoft", "Google Cloud": "Google"}
_REGION_NAME = {"sa-east-1": "South America (Sao Paulo)", "us-east-1": "US East (N. Virginia)"}
_Q = Decimal("1e-12")
_ARROW = {
    "String": pa.string(),
    "Decimal": pa.decimal128(38, 12),
    "Date/Time": pa.timestamp("us", tz="UTC"),
    "JSON": pa.string(),
}
EXTRA_COLUMNS = ("x_ServiceCode", "x_UsageType")


def _dec(value: float | int | Decimal) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _unit(seed: int, *parts: object) -> float:
    """A deterministic number in [0, 1) from the seed and ``parts``."""
    digest = hashlib.sha256(":".join(map(str, (seed, *parts))).encode()).hexdigest()
    return int(digest[:12], 16) / 16**12


def charge_days(world: World, anchor: datetime) -> list[date]:
    """The complete UTC days billed: ``world.billing.days`` days ending the day before the anchor."""
    last = anchor.astimezone(UTC).date() - timedelta(days=1)
    return [last - timedelta(days=i) for i in range(world.billing.days - 1, -1, -1)]


def transfer_spike_day(anchor: datetime) -> date:
    """The day whose data transfer spikes (:data:`TRANSFER_SPIKE_DAYS_AGO` days before the anchor)."""
    return anchor.astimezone(UTC).date() - timedelta(days=TRANSFER_SPIKE_DAYS_AGO)


def pod_resource_id(billing: BillingSpec, workload: WorkloadSpec) -> str:
    """The ResourceId billing rows of ``workload`` carry."""
    return f"arn:aws:eks:{billing.region}:{billing.sub_account_id}:pod/{workload.namespace}/{workload.name}"


def _savings_plan_id(world: World) -> str:
    b = world.billing
    digest = hashlib.sha256(f"{world.seed}:{b.sub_account_id}".encode()).hexdigest()[:17]
    return f"arn:aws:savingsplans::{b.billing_account_id}:savingsplan/{digest}"


def _base(world: World, day: date) -> dict[str, Any]:
    """Columns every row of ``day`` shares."""
    b = world.billing
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    period = datetime(day.year, day.month, 1, tzinfo=UTC)
    period_end = datetime(day.year + day.month // 12, day.month % 12 + 1, 1, tzinfo=UTC)
    issuer = _ISSUER.get(b.provider, b.provider)
    return {
        "BillingAccountId": b.billing_account_id,
        "BillingAccountName": f"{world.name}-payer",
        "BillingAccountType": "Billing Account",
        "BillingCurrency": b.currency,
        "PricingCurrency": b.currency,
        "BillingPeriodStart": period,
        "BillingPeriodEnd": period_end,
        "ChargePeriodStart": start,
        "ChargePeriodEnd": start + timedelta(days=1),
        "ChargeCategory": "Usage",
        "ChargeFrequency": "Usage-Based",
        "PricingCategory": "Standard",
        "InvoiceIssuerName": issuer,
        "PublisherName": issuer,
        "ProviderName": b.provider,
        "RegionId": b.region,
        "RegionName": _REGION_NAME.get(b.region, b.region),
        "SubAccountId": b.sub_account_id,
        "SubAccountName": f"{world.name}-ml-platform",
        "SubAccountType": "Account",
    }


def _priced(qty: Decimal, list_price: Decimal, contracted_price: Decimal, covered: bool) -> dict[str, Any]:
    """Quantity and money columns; ``covered`` usage is billed through the Savings Plan fee instead."""
    list_cost = (qty * list_price).quantize(_Q)
    contracted = (qty * contracted_price).quantize(_Q)
    return {
        "PricingQuantity": qty,
        "ConsumedQuantity": qty,
        "ListUnitPrice": list_price,
        "ContractedUnitPrice": contracted_price,
        "ListCost": list_cost,
        "ContractedCost": contracted,
        "EffectiveCost": contracted,
        "BilledCost": Decimal(0) if covered else contracted,
        "PricingCurrencyListUnitPrice": list_price,
        "PricingCurrencyContractedUnitPrice": contracted_price,
        "PricingCurrencyEffectiveCost": contracted,
    }


class _ComputeLine(NamedTuple):
    """One priced resource of a pod: what it is, how it is billed and how much each replica requests."""

    kind: str
    service: str
    sku: str
    unit: str
    consumed: str
    per_pod: float
    price: float
    subcategory: str


def _workload_tags(w: WorkloadSpec) -> dict[str, str]:
    """Tags of a workload's rows: ``namespace, workload, team, env`` (+ ``model``)."""
    tags = {"namespace": w.namespace, "workload": w.name, "team": w.team, "env": w.env}
    if w.model:
        tags["model"] = w.model
    return tags


def _compute_lines(b: BillingSpec, w: WorkloadSpec) -> list[_ComputeLine]:
    """vCPU and memory lines of a workload, plus a GPU line when it has GPUs.

    Raises:
        ValueError: the workload's GPU type has no ``gpu_hour`` price.
    """
    lines = [
        _ComputeLine(
            "vcpu", EKS, "EKS-VCPU-HOURS", "Hours", "vCPU-Hours", w.cpu_request, b.cpu_core_hour, "Containers"
        ),
        _ComputeLine(
            "memory",
            EKS,
            "EKS-MEMORY-GB-HOURS",
            "GB-Hours",
            "GB-Hours",
            w.mem_request_gib,
            b.mem_gib_hour,
            "Containers",
        ),
    ]
    if w.gpus:
        if w.gpu_type not in b.gpu_hour:
            raise ValueError(f"workload {w.name}: no gpu_hour price for {w.gpu_type}")
        gpu_sku = f"EC2-GPU-{w.gpu_type.upper()}"
        price = b.gpu_hour[w.gpu_type]
        lines.append(
            _ComputeLine("gpu", EC2, gpu_sku, "Hours", "GPU-Hours", w.gpus, price, "Virtual Machines")
        )
    return lines


def _usage_row(
    world: World, w: WorkloadSpec, day: date, line: _ComputeLine, tags: dict[str, str]
) -> dict[str, Any]:
    """One day of one compute line of a workload, priced at the Savings Plan rate (billed through the fee)."""
    b = world.billing
    discount = 1 - _dec(b.effective_discount)
    sp = _savings_plan_id(world)
    qty = _dec(w.replicas) * _dec(line.per_pod) * 24
    list_price = _dec(line.price)
    return (
        _base(world, day)
        | _priced(qty, list_price, (list_price * discount).quantize(_Q), True)
        | {
            "ChargeDescription": f"{line.consumed} for pod {w.namespace}/{w.name} ({line.kind}, Savings Plan rate)",
            "ConsumedUnit": line.consumed,
            "PricingUnit": line.unit,
            "PricingCategory": "Committed",
            "CommitmentDiscountCategory": "Spend",
            "CommitmentDiscountId": sp,
            "CommitmentDiscountName": "Compute Savings Plan",
            "CommitmentDiscountStatus": "Used",
            "CommitmentDiscountType": "Compute Savings Plans",
            "ResourceId": pod_resource_id(b, w),
            "ResourceName": w.name,
            "ResourceType": "Pod",
            "ServiceCategory": "Compute",
            "ServiceName": line.service,
            "ServiceSubcategory": line.subcategory,
            "SkuId": line.sku,
            "SkuPriceId": f"{line.sku}.{b.region}.SP",
            "SkuMeter": line.consumed,
            "Tags": json.dumps(tags, sort_keys=True),
            "x_ServiceCode": "AmazonEKS" if line.service == EKS else "AmazonEC2",
            "x_UsageType": f"SAE1-{line.sku}",
        }
    )


def _workload_rows(world: World, w: WorkloadSpec, day: date) -> list[dict[str, Any]]:
    """vCPU, memory and (for GPU workloads) GPU rows of one workload for one day."""
    tags = _workload_tags(w)
    return [_usage_row(world, w, day, line, tags) for line in _compute_lines(world.billing, w)]


def _fee_row(world: World, day: date, covered: Decimal) -> dict[str, Any]:
    """The day's Savings Plan recurring fee: bills the covered usage, zero effective cost."""
    sp = _savings_plan_id(world)
    return _base(world, day) | {
        "ChargeCategory": "Purchase",
        "ChargeFrequency": "Recurring",
        "PricingCategory": "Committed",
        "ChargeDescription": "Compute Savings Plan recurring fee (1yr, no upfront)",
        "BilledCost": covered.quantize(_Q),
        "EffectiveCost": Decimal(0),
        "ListCost": Decimal(0),
        "ContractedCost": Decimal(0),
        "PricingQuantity": Decimal(24),
        "PricingUnit": "Hours",
        "CommitmentDiscountCategory": "Spend",
        "CommitmentDiscountId": sp,
        "CommitmentDiscountName": "Compute Savings Plan",
        "CommitmentDiscountType": "Compute Savings Plans",
        "ResourceId": sp,
        "ResourceName": "Compute Savings Plan",
        "ResourceType": "Savings Plan",
        "ServiceCategory": "Other",
        "ServiceName": SAVINGS_PLAN,
        "SkuId": "SAVINGS-PLAN-COMPUTE",
        "SkuPriceId": "SAVINGS-PLAN-COMPUTE.RECURRING",
        "x_ServiceCode": "ComputeSavingsPlans",
        "x_UsageType": "ComputeSP:1yrNoUpfront",
    }


def _storage_row(world: World, day: date, index: int) -> dict[str, Any]:
    """S3 storage of the MLflow artifact bucket, growing 15 GB a day."""
    b = world.billing
    gb = Decimal(1800 + 15 * index)
    month_days = (_base(world, day)["BillingPeriodEnd"] - _base(world, day)["BillingPeriodStart"]).days
    qty = (gb / month_days).quantize(_Q)
    bucket = f"{world.name}-mlflow-artifacts"
    return (
        _base(world, day)
        | _priced(qty, _S3_GB_MONTH, _S3_GB_MONTH, False)
        | {
            "ChargeDescription": f"Standard storage of s3://{bucket}",
            "ConsumedUnit": "GB-Month",
            "PricingUnit": "GB-Month",
            "ResourceId": f"arn:aws:s3:::{bucket}",
            "ResourceName": bucket,
            "ResourceType": "Bucket",
            "ServiceCategory": "Storage",
            "ServiceName": S3,
            "ServiceSubcategory": "Object Storage",
            "SkuId": "S3-STANDARD-STORAGE",
            "SkuPriceId": f"S3-STANDARD-STORAGE.{b.region}",
            "SkuMeter": "Storage",
            "Tags": json.dumps({"app": "mlflow", "env": "production", "team": "ml-platform"}, sort_keys=True),
            "x_ServiceCode": "AmazonS3",
            "x_UsageType": "SAE1-TimedStorage-ByteHrs",
        }
    )


def _transfer_row(world: World, day: date, spike: date) -> dict[str, Any]:
    """Internet egress through the NAT gateway: ~220 GB/day ±5%, ×6 on the spike day."""
    b = world.billing
    gb = Decimal(220) * _dec(round(0.95 + 0.1 * _unit(world.seed, "transfer", day), 4))
    if day == spike:
        gb *= TRANSFER_SPIKE_FACTOR
    nat = f"nat-{hashlib.sha256(f'{world.seed}:nat'.encode()).hexdigest()[:17]}"
    return (
        _base(world, day)
        | _priced(gb.quantize(_Q), _TRANSFER_GB, _TRANSFER_GB, False)
        | {
            "ChargeDescription": f"Data transfer out to the internet from {b.region}",
            "ConsumedUnit": "GB",
            "PricingUnit": "GB",
            "ResourceId": f"arn:aws:ec2:{b.region}:{b.sub_account_id}:natgateway/{nat}",
            "ResourceName": "payments-egress-nat",
            "ResourceType": "NAT Gateway",
            "ServiceCategory": "Networking",
            "ServiceName": TRANSFER,
            "SkuId": "DT-OUT-INTERNET",
            "SkuPriceId": f"DT-OUT-INTERNET.{b.region}",
            "SkuMeter": "Data Transfer Out",
            "Tags": json.dumps(
                {"env": "production", "namespace": "payments-api", "team": "payments-platform"},
                sort_keys=True,
            ),
            "x_ServiceCode": "AWSDataTransfer",
            "x_UsageType": "SAE1-DataTransfer-Out-Bytes",
        }
    )


def billing_rows(world: World, anchor: datetime) -> list[dict[str, Any]]:
    """Every FOCUS row of the world, day by day (see the module docstring)."""
    rows: list[dict[str, Any]] = []
    spike = transfer_spike_day(anchor)
    for index, day in enumerate(charge_days(world, anchor)):
        usage = [r for w in world.workloads for r in _workload_rows(world, w, day)]
        covered = sum((r["EffectiveCost"] for r in usage), Decimal(0))
        rows += [
            *usage,
            _fee_row(world, day, covered),
            _storage_row(world, day, index),
            _transfer_row(world, day, spike),
        ]
    return rows


def focus_arrow_schema() -> pa.Schema:
    """Arrow schema of the written files: the FOCUS 1.2 columns, then :data:`EXTRA_COLUMNS`."""
    fields = [pa.field(name, _ARROW[kind]) for name, kind in FOCUS_COLUMNS.items()]
    return pa.schema(fields + [pa.field(name, pa.string()) for name in EXTRA_COLUMNS])


def write_billing(world: World, anchor: datetime, directory: Path, *, sample_dir: Path = SAMPLE_DIR) -> Path:
    """Write the world's FOCUS Parquet file (and, if asked, the real sample) into ``directory``.

    Args:
        world: the world.
        anchor: the world's anchor; billed days end the day before it.
        directory: created if needed; ``focus-<world>.parquet`` is (re)written there.
        sample_dir: where the real FOCUS 1.0 sample and its SOURCE.md live
            (copied when ``world.billing.include_sample``).

    Returns:
        ``directory``, ready for ``BillingTool.from_files(directory)``.

    Raises:
        FileNotFoundError: the sample is asked for but missing from ``sample_dir``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    schema = focus_arrow_schema()
    rows = billing_rows(world, anchor)
    columns = {f.name: pa.array([r.get(f.name) for r in rows], type=f.type) for f in schema}
    pq.write_table(pa.table(columns, schema=schema), directory / f"focus-{world.name}.parquet")
    if world.billing.include_sample:
        sample = directory / "focus-sample"
        sample.mkdir(exist_ok=True)
        for name in SAMPLE_FILES:
            if not (sample_dir / name).exists():
                raise FileNotFoundError(f"FOCUS sample file {sample_dir / name} is missing")
            shutil.copyfile(sample_dir / name, sample / name)
    return directory
