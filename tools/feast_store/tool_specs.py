"""The Feast tools the gateway exposes: their input models and one table of ToolSpecs.

:func:`specs` only captures the tool in closures: nothing on it is called or read until a tool runs,
so the same specs can be bound to a stand-in object for a source that is not configured.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from tools.base import ActionClass, ToolSpec
from tools.feast_store.tool import SOURCE, FeastTool

# --- inputs ------------------------------------------------------------------------------------------


class NoArgs(BaseModel):
    pass


class ViewArg(BaseModel):
    name: str = Field(description="feature view name")


class FreshnessArgs(BaseModel):
    name: str | None = Field(default=None, description="one feature view, or None for all")


class ParityArgs(BaseModel):
    name: str
    sample_size: int = Field(default=50, ge=1, le=1000)
    at: datetime | None = Field(default=None, description="join time; default: the last materialization end")
    tolerance: float = Field(default=1e-6, ge=0)


class MaterializeArgs(BaseModel):
    name: str
    start: datetime
    end: datetime


# --- tool table --------------------------------------------------------------------------------------

Call = Callable[[FeastTool, Any], Any]
"""Runs one tool: (the Feast tool, the validated input) → result."""

# (name, description the model reads, input model, action, call, timeout in tool timeouts)
_TOOLS: tuple[tuple[str, str, type[BaseModel], ActionClass, Call, int], ...] = (
    (
        "feast.list_feature_views",
        "List every Feast feature view: entities, join keys, features with dtypes, ttl_s, "
        "schedule_s (expected materialization cadence), online flag, owner and tags.",
        NoArgs,
        ActionClass.READ,
        lambda t, _a: t.list_feature_views(),
        1,
    ),
    (
        "feast.feature_view",
        "Describe one Feast feature view by name (same fields as feast.list_feature_views).",
        ViewArg,
        ActionClass.READ,
        lambda t, a: t.feature_view(a.name),
        1,
    ),
    (
        "feast.freshness",
        "Materialization freshness of one feature view (name) or all: last materialization end, "
        "age_s, ttl_s, schedule_s and status: stale if age > ttl, late if age > 2x schedule, "
        "fresh otherwise, never if it was never materialized.",
        FreshnessArgs,
        ActionClass.READ,
        lambda t, a: t.freshness(a.name),
        1,
    ),
    (
        "feast.parity",
        "Online/offline skew check of one feature view: for sample_size entity keys, compare the "
        "online store values with a point-in-time offline join at `at` (default: the last "
        "materialization end). Per feature: compared, mismatches, mismatch_rate, max_abs_diff, "
        "missing counts and example keys; skewed_features lists refs with mismatches.",
        ParityArgs,
        ActionClass.READ,
        lambda t, a: t.parity(a.name, a.sample_size, a.at, a.tolerance),
        8,
    ),
    (
        "feast.materialize",
        "Load the offline values of one feature view over [start, end] into the online store "
        "(a backfill; end may not be in the future). Returns the view's freshness afterwards.",
        MaterializeArgs,
        ActionClass.WRITE,
        lambda t, a: t.materialize(a.name, a.start, a.end),
        20,
    ),
)


def _bind(call: Call, tool: FeastTool) -> Callable[[Any], Any]:
    """``call`` with the tool filled in; the tool is only touched when the tool runs."""
    return lambda a: call(tool, a)


def specs(tool: FeastTool, *, timeout_s: float = 15.0) -> list[ToolSpec]:
    """The gateway's view of the Feast tool: four reads and one write.

    Args:
        tool: the Feast tool the specs call.
        timeout_s: one tool timeout; the parity check may take 8 of them and a backfill 20.
    """
    return [
        ToolSpec(
            name,
            desc,
            model,
            action,
            _bind(call, tool),
            SOURCE,
            timeout_s=timeout_s * scale,
            timeout_scale=scale,
        )
        for name, desc, model, action, call, scale in _TOOLS
    ]
