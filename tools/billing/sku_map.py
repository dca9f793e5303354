"""Which billing rows are CPU, memory or GPU: a configurable SKU map over FOCUS columns (pure).

A row (one group of the compute-costs query) is classified by, in order:

1. **rules** of the SKU map: the first rule whose ``match`` regexes all fully match the named FOCUS
   or ``x_*`` provider columns (``SkuId``, ``SkuPriceId``, ``ServiceCategory``, ``x_UsageType``, ...);
2. **units**, for compute rows (``ServiceCategory`` Compute or AI and Machine Learning):
   ``ConsumedUnit`` / ``PricingUnit`` ``vCPU-Hours`` → CPU, ``GPU-Hours`` → GPU, ``GB-Hours`` /
   ``GiB-Hours`` → memory;
3. **instance types**, for compute rows priced in hours: the type from the provider columns
   (``instance_columns``) or from ``ChargeDescription`` / ``SkuMeter`` / ``SkuPriceDetails``
   (``... Linux g5.4xlarge Instance Hour``); a type in ``gpu_instances`` is a GPU instance
   (``gpus`` GPUs of ``gpu_model`` per instance-hour), any other an ``instance`` (CPU and memory sold
   together).

A SKU id is an opaque identifier: nothing is inferred from its letters (the real FOCUS sample has a
t2.micro SKU ``F9GPUA3E29X6GJVE``). A GPU row's model is read from the rule, the instance table, or a
known model name standing as a whole token in its provider columns, ``SkuMeter`` or ids.

Errors (``load_sku_map``)::

    ValueError       — the YAML is not a mapping, or a field is invalid (pydantic message)
    └── OSError      — the file cannot be read
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

Resource = Literal["cpu", "memory", "gpu", "instance"]
DEFAULT_MAP = Path(__file__).with_name("sku_map.yaml")
COMPUTE_CATEGORIES = frozenset({"compute", "ai and machine learning"})
TEXT_COLUMNS = ("ChargeDescription", "SkuMeter", "SkuPriceDetails")
_AWS_TYPE = re.compile(
    r"\b([a-z][a-z0-9]*\d[a-z0-9]*(?:-flex)?\.(?:\d*x?large|medium|small|micro|nano|metal)(?:-\d+xl)?)\b"
)
_AZURE_TYPE = re.compile(r"\b(Standard_[A-Za-z0-9_]+)\b")
_GCP_TYPE = re.compile(r"\b([a-z]\d[a-z]?-(?:standard|highmem|highcpu|highgpu|megagpu|ultragpu)-\d+g?)\b")
_UNITS: dict[str, Resource] = {
    "vcpuhours": "cpu",
    "vcpuhour": "cpu",
    "cpuhours": "cpu",
    "gpuhours": "gpu",
    "gpuhour": "gpu",
    "gbhours": "memory",
    "gbhour": "memory",
    "gibhours": "memory",
    "gibhour": "memory",
}


def _norm_unit(unit: str | None) -> str:
    return re.sub(r"[^a-z]", "", (unit or "").lower())


class SkuRule(BaseModel):
    """Rows whose columns fully match every regex of ``match`` are ``resource``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    match: dict[str, str] = Field(min_length=1, description="column → regex (full, case-insensitive)")
    resource: Resource
    gpu_model: str | None = None
    gpus: float = Field(default=1.0, gt=0, description="GPUs per pricing unit (GPU rows)")

    def matches(self, row: Mapping[str, Any]) -> bool:
        return all(
            re.fullmatch(pattern, str(row.get(col) or ""), re.IGNORECASE) is not None
            for col, pattern in self.match.items()
        )


class GpuInstance(BaseModel):
    """Instance types (regex, full match) with ``gpus`` GPUs of ``gpu_model`` each."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pattern: str
    gpu_model: str
    gpus: float = Field(gt=0)


class Classified(BaseModel):
    """What a row is: its resource, GPUs per pricing unit and model, and the basis of the decision."""

    resource: Resource
    gpu_model: str | None = None
    gpus_per_unit: float | None = None
    instance_type: str | None = None
    basis: str


class SkuMap(BaseModel):
    """Rules, instance-type columns, GPU instance types and GPU model names (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: list[SkuRule] = Field(default_factory=list)
    instance_columns: list[str] = Field(default_factory=list)
    gpu_models: list[str] = Field(default_factory=list)
    gpu_instances: list[GpuInstance] = Field(default_factory=list)

    @cached_property
    def columns(self) -> list[str]:
        """Every column classification reads (rules, instance columns, text columns)."""
        named = [c for r in self.rules for c in r.match]
        return list(dict.fromkeys([*named, *self.instance_columns, *TEXT_COLUMNS]))

    def classify(self, row: Mapping[str, Any]) -> Classified | None:
        """Classify one row (FOCUS column → value); None when it is not CPU, memory or GPU."""
        for i, rule in enumerate(self.rules):
            if rule.matches(row):
                model = rule.gpu_model or (self.gpu_model_of(row) if rule.resource == "gpu" else None)
                gpus = rule.gpus if rule.resource == "gpu" else None
                return Classified(
                    resource=rule.resource, gpu_model=model, gpus_per_unit=gpus, basis=f"SKU map rule {i + 1}"
                )
        if str(row.get("ServiceCategory") or "").lower() not in COMPUTE_CATEGORIES:
            return None
        for column in ("ConsumedUnit", "PricingUnit"):
            resource = _UNITS.get(_norm_unit(row.get(column)))
            if resource is not None:
                gpu = resource == "gpu"
                return Classified(
                    resource=resource,
                    gpu_model=self.gpu_model_of(row) if gpu else None,
                    gpus_per_unit=1.0 if gpu else None,
                    basis=f"{column} {row.get(column)}",
                )
        if _norm_unit(row.get("PricingUnit")) not in {"hours", "hour", "hrs"}:
            return None
        found = self.instance_type_of(row)
        if found is None:
            return None
        itype, column = found
        for gi in self.gpu_instances:
            if re.fullmatch(gi.pattern, itype, re.IGNORECASE):
                return Classified(
                    resource="gpu",
                    gpu_model=gi.gpu_model,
                    gpus_per_unit=gi.gpus,
                    instance_type=itype,
                    basis=f"GPU instance type {itype} ({column})",
                )
        return Classified(resource="instance", instance_type=itype, basis=f"instance type {itype} ({column})")

    def instance_type_of(self, row: Mapping[str, Any]) -> tuple[str, str] | None:
        """(instance type, column it was read from), from provider columns first, then text columns."""
        for column in self.instance_columns:
            value = str(row.get(column) or "").strip()
            if value:
                return value, column
        for column in TEXT_COLUMNS:
            text = str(row.get(column) or "")
            for pattern in (_AWS_TYPE, _AZURE_TYPE, _GCP_TYPE):
                match = pattern.search(text)
                if match:
                    return match.group(1), column
        return None

    def gpu_model_of(self, row: Mapping[str, Any]) -> str | None:
        """A known GPU model standing as a whole token in the row's provider columns, meter or ids."""
        columns = [c for c in row if c.startswith("x_")] + ["SkuMeter", "SkuPriceId", "SkuId"]
        tokens = {t.upper() for c in columns for t in re.split(r"[^A-Za-z0-9]+", str(row.get(c) or ""))}
        return next((m for m in self.gpu_models if m.upper() in tokens), None)


def load_sku_map(path: Path | None = None) -> SkuMap:
    """The default map, with the user's map at ``path`` (rules first; lists extended) when given.

    Raises:
        ValueError: the YAML is not a mapping or holds invalid fields.
        OSError: a file cannot be read.
    """
    data = _read(DEFAULT_MAP)
    if path is not None:
        user = _read(path)
        for key in ("rules", "gpu_instances", "instance_columns", "gpu_models"):
            data[key] = [*user.get(key, []), *data.get(key, [])]
        unknown = set(user) - {"rules", "gpu_instances", "instance_columns", "gpu_models"}
        if unknown:
            raise ValueError(f"{path}: unknown SKU map keys {sorted(unknown)}")
    return SkuMap.model_validate(data)


def _read(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a SKU map is a mapping (rules, gpu_instances, ...)")
    return data
