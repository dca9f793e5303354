"""billing.specs builds without touching the tool (the lead binds it to a stand-in when unconfigured)."""

from __future__ import annotations

from typing import Any, cast

import pytest

from tools.base import ActionClass
from tools.billing import BillingTool, specs


class _Untouchable:
    """A stand-in whose every attribute access raises."""

    def __getattribute__(self, name: str) -> Any:
        raise AssertionError(f"specs() touched tool.{name}")


NAMES = {
    "billing.totals",
    "billing.cost_by",
    "billing.unit_prices",
    "billing.compute_costs",
    "billing.anomalies",
    "billing.resource_cost",
}


def test_specs_build_without_touching_the_tool() -> None:
    built = specs(cast(BillingTool, _Untouchable()))
    assert {s.name for s in built} == NAMES
    assert all(s.action is ActionClass.READ and s.source == "billing" for s in built)


def test_a_stand_in_is_touched_only_when_a_tool_is_called() -> None:
    totals = next(s for s in specs(cast(BillingTool, _Untouchable())) if s.name == "billing.totals")
    with pytest.raises(AssertionError, match=r"tool\.totals"):
        totals.func(totals.input_model.model_validate({}))
