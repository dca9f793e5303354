"""Drive one agent for a scenario, through its public entry point only."""

from __future__ import annotations

import json
import time
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
    """Every alerting rule of the trigger's file or directory, through the agent (the CLI's code path).

    Whole rule files are batched up to :func:`_batch_size` rules, so one ``promtool.check_queries`` call
    stays well within the tool deadline on a loaded machine and a large directory stays within the
    agent's per-run tool-call budget. The report holds every runbook with its Markdown, the rules
    loaded (so the scorer can name a rule that got no runbook), the agent's errors and rejected
    candidate count, and each batch's wall time.
    """
    from agents.runbook.graph import run_runbooks
    from agents.runbook.render import to_markdown
    from agents.runbook.rules import load_rules, pick

    t = scenario.trigger
    assert isinstance(t, RunbookTrigger)
    path = t.resolve(scenario.path)
    files = sorted([*path.rglob("*.yml"), *path.rglob("*.yaml")]) if path.is_dir() else [path]
    loaded = [(r, _exporter(f)) for f in files for r in load_rules(f, allow_empty=True)]
    chosen = {r.alert for r in pick([r for r, _ in loaded], t.rule)}
    loaded = [(r, e) for r, e in loaded if r.alert in chosen]
    report: dict[str, Any] = {"runbooks": [], "rules": [], "errors": [], "rejected_queries": 0, "batch_s": []}
    for batch_rules in _batches(loaded, _batch_size(len(loaded))):
        started = time.perf_counter()
        batch = run_runbooks(deps, [r for r, _ in batch_rules], store=False)
        report["batch_s"].append(round(time.perf_counter() - started, 3))
        report["runbooks"] += [
            {**json.loads(rb.model_dump_json()), "markdown": to_markdown(rb)} for rb in batch.runbooks
        ]
        report["rules"] += [{"alert": r.alert, "exporter": e} for r, e in batch_rules]
        report["errors"] += batch.errors
        report["rejected_queries"] += batch.rejected_queries
    return RunOutput(reports=[report], prometheus_url=prometheus_url)


def _batch_size(rules: int) -> int:
    """At least 100 rules a batch; at most 25 batches (each is a promtool call, maybe a discovery call)."""
    return max(100, -(-rules // 25))


def _batches(loaded: list[tuple[Any, str]], size: int) -> list[list[tuple[Any, str]]]:
    """Consecutive whole rule files (same exporter) per batch, each batch closed once it holds ``size``."""
    batches: list[list[tuple[Any, str]]] = [[]]
    for n, (rule, exporter) in enumerate(loaded):
        if len(batches[-1]) >= size and exporter != loaded[n - 1][1]:
            batches.append([])
        batches[-1].append((rule, exporter))
    return [b for b in batches if b]


def _exporter(file: Path) -> str:
    """A rule file's exporter: ``<folder>/<file stem>`` (e.g. ``postgresql/postgres-exporter``)."""
    return f"{file.parent.name}/{file.stem}" if file.parent.name else file.stem
