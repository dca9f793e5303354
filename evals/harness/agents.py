"""Drive one agent for a scenario, through its public entry point only."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from evals.harness.scenario import (
    PromotionTrigger,
    RightsizingTrigger,
    RunbookTrigger,
    Scenario,
    alert_payload,
)

PRINCIPALS = {
    "triage": "agent:triage",
    "promotion": "agent:promotion",
    "rightsizing": "agent:rightsizing",
    "runbook": "agent:runbook",
}


@dataclass
class RunOutput:
    """What a run produced: the reports (JSON form), the Slack blocks, or the error that stopped it."""

    reports: list[dict[str, Any]] = field(default_factory=list)
    slack: list[Any] = field(default_factory=list)
    error: str = ""
    anchor: datetime | None = None  # the world's anchor (scorers that derive expectations from time)
    prometheus_url: str | None = None  # the target Prometheus (the runbook scorer asks its parser too)


def _deps(rt: Any, scenario: Scenario, run_id: str, chat: Any) -> Any:
    from agents.deps import AgentDeps
    from guardrails.gateway import CallContext

    ctx = CallContext(principal=PRINCIPALS[scenario.agent], run_id=run_id)
    return AgentDeps(gateway=rt.gateway, ctx=ctx, chat=chat)


def run_agent(
    scenario: Scenario, rt: Any, run_id: str, chat: Any, world: Any, anchor: datetime | None
) -> RunOutput:
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
    if scenario.agent == "runbook":
        return _runbooks(deps, scenario, rt.platform.prometheus_url)
    raise ValueError(f"no driver for agent {scenario.agent!r}")


def _runbooks(deps: Any, scenario: Scenario, prometheus_url: str | None) -> RunOutput:
    """One batch over every alerting rule of the trigger's file or directory (the CLI's code path).

    The report is the batch (runbooks, rejected candidate queries, errors) plus each runbook's Markdown
    and the list of rules loaded, so the scorer can name a rule that got no runbook at all.
    """
    from agents.runbook.graph import run_runbooks
    from agents.runbook.render import to_markdown
    from agents.runbook.rules import load_rules, pick

    t = scenario.trigger
    assert isinstance(t, RunbookTrigger)
    path = t.resolve(scenario.path)
    files = sorted([*path.rglob("*.yml"), *path.rglob("*.yaml")]) if path.is_dir() else [path]
    loaded = [(r, _exporter(f)) for f in files for r in load_rules(f, allow_empty=True)]
    rules = pick([r for r, _ in loaded], t.rule)
    exporters = {r.alert: e for r, e in loaded}
    batch = run_runbooks(deps, rules, store=False)
    report = json.loads(batch.model_dump_json())
    for rb, body in zip(batch.runbooks, report["runbooks"], strict=True):
        body["markdown"] = to_markdown(rb)
    report["rules"] = [{"alert": r.alert, "exporter": exporters[r.alert]} for r in rules]
    return RunOutput(reports=[report], prometheus_url=prometheus_url)


def _exporter(file: Path) -> str:
    """A rule file's exporter: ``<folder>/<file stem>`` (e.g. ``postgresql/postgres-exporter``)."""
    return f"{file.parent.name}/{file.stem}" if file.parent.name else file.stem
