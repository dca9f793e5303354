"""``referent runbook --rule FILE [--alert NAME]``: runbooks from Prometheus alerting rules."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Annotated

import typer

from api.commands.common import fail, runtime

SOURCES = ("prometheus",)  # the runbook agent's only remote source (plus promtool and the library)


def runbook(
    rule: Annotated[Path | None, typer.Option("--rule", help="a Prometheus rule file")] = None,
    from_incident: Annotated[
        str | None, typer.Option("--from-incident", help="a stored triage report id")
    ] = None,
    alert: Annotated[
        str | None, typer.Option(help="only this alert (default: every alert in the file)")
    ] = None,
    store: Annotated[bool, typer.Option(help="store the runbooks in the library")] = True,
    json_out: Annotated[bool, typer.Option("--json", help="print the runbooks as JSON")] = False,
) -> None:
    """Generate runbooks (Meaning / Impact / Diagnosis / Mitigation) with validated diagnosis PromQL."""
    from agents.deps import AgentDeps
    from agents.runbook.graph import run_runbooks
    from agents.runbook.render import to_markdown
    from agents.runbook.rules import RuleFileError, load_rules, pick
    from guardrails.gateway import CallContext

    if (rule is None) == (from_incident is None):
        fail("give exactly one of --rule FILE or --from-incident ID")
    if from_incident is not None:
        _from_incident(from_incident, json_out)
        return
    assert rule is not None
    try:
        rules = pick(load_rules(rule), alert)
    except RuleFileError as exc:
        fail(str(exc))
    rt = runtime(sources=SOURCES)
    try:
        deps = AgentDeps(
            gateway=rt.gateway, ctx=CallContext("agent:runbook", f"runbook-{uuid.uuid4().hex[:10]}")
        )
        batch = run_runbooks(deps, rules, store=store)
    finally:
        rt.close()
    if json_out:
        typer.echo(json.dumps(batch.model_dump(mode="json"), indent=2))
    else:
        typer.echo("\n\n".join(to_markdown(rb) for rb in batch.runbooks))
    for err in batch.errors:
        typer.echo(f"warning: {err}", err=True)


def _from_incident(report_id: str, json_out: bool) -> None:
    from agents.deps import AgentDeps
    from agents.reports import ReportStore
    from agents.runbook.incident import (
        IncidentError,
        actions_from_audit,
        runbook_from_incident,
        store_incident_runbook,
    )
    from agents.runbook.render import to_markdown
    from agents.triage.models import TriageReport
    from guardrails.gateway import CallContext

    rt = runtime(sources=SOURCES)
    try:
        stored = ReportStore(rt.db).get(report_id)
        if stored is None or stored.kind != "triage":
            fail(f"no triage report {report_id!r} (see the report id printed by `referent triage`)")
        report = TriageReport.model_validate_json(stored.body_json)
        deps = AgentDeps(
            gateway=rt.gateway, ctx=CallContext("agent:runbook", f"runbook-{uuid.uuid4().hex[:10]}")
        )
        try:
            rb = runbook_from_incident(deps, report, actions_from_audit(rt.audit, [report.run_id]))
        except IncidentError as exc:
            fail(str(exc))
        rb = store_incident_runbook(deps, rb)
    finally:
        rt.close()
    typer.echo(json.dumps(rb.model_dump(mode="json"), indent=2) if json_out else to_markdown(rb))


def register(app: typer.Typer) -> None:
    app.command("runbook")(runbook)
