"""Drive one agent for a scenario, through its public entry point only."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from evals.harness.scenario import PromotionTrigger, RightsizingTrigger, Scenario, alert_payload

PRINCIPALS = {"triage": "agent:triage", "promotion": "agent:promotion", "rightsizing": "agent:rightsizing"}


@dataclass
class RunOutput:
    """What a run produced: the reports (JSON form), the Slack blocks, or the error that stopped it."""

    reports: list[dict[str, Any]] = field(default_factory=list)
    slack: list[Any] = field(default_factory=list)
    error: str = ""
    anchor: datetime | None = None  # the world's anchor (scorers that derive expectations from time)


def _deps(rt: Any, scenario: Scenario, run_id: str, chat: Any) -> Any:
    from agents.deps import AgentDeps
    from guardrails.gateway import CallContext

    ctx = CallContext(principal=PRINCIPALS[scenario.agent], run_id=run_id)
    return AgentDeps(gateway=rt.gateway, ctx=ctx, chat=chat)


def run_agent(scenario: Scenario, rt: Any, run_id: str, chat: Any, world: Any, anchor: datetime) -> RunOutput:
    """Run the scenario's agent on its trigger; raise ValueError for an agent the harness cannot drive."""
    if scenario.agent not in PRINCIPALS:
        raise ValueError(f"the harness does not drive agent {scenario.agent!r} yet")
    deps = _deps(rt, scenario, run_id, chat)
    if scenario.agent == "triage":
        from agents.triage import to_slack_blocks, triage_payload

        reports = triage_payload(deps, alert_payload(scenario, world, anchor))
        return RunOutput(
            reports=[json.loads(r.model_dump_json()) for r in reports],
            slack=[to_slack_blocks(r) for r in reports],
        )
    if scenario.agent == "promotion":
        from agents.promotion import run_promotion
        from agents.promotion.render import to_slack_blocks as promo_blocks

        t = scenario.trigger
        assert isinstance(t, PromotionTrigger)
        report = run_promotion(deps, t.model, t.version, t.target, dry_run=t.dry_run)
        return RunOutput(
            reports=[json.loads(report.model_dump_json())], slack=[promo_blocks(report)], anchor=anchor
        )
    if scenario.agent == "rightsizing":
        from agents.rightsizing.graph import run_rightsizing

        t2 = scenario.trigger
        assert isinstance(t2, RightsizingTrigger)
        workload = t2.workloads[0] if len(t2.workloads) == 1 else None
        report2 = run_rightsizing(deps, namespace=t2.namespace, workload=workload)
        return RunOutput(reports=[json.loads(report2.model_dump_json())])
    raise ValueError(f"no driver for agent {scenario.agent!r}")
