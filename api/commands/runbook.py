"""``referent runbook --rule FILE [--alert NAME]``: runbooks from Prometheus alerting rules."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Annotated

import typer

from api.commands.common import fail, runtime


def runbook(
    rule: Annotated[Path, typer.Option("--rule", help="a Prometheus rule file")],
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

    try:
        rules = pick(load_rules(rule), alert)
    except RuleFileError as exc:
        fail(str(exc))
    rt = runtime()
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


def register(app: typer.Typer) -> None:
    app.command("runbook")(runbook)
