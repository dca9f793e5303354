"""``referent triage --alert FILE``: triage an Alertmanager v4 payload or a single alert (JSON)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer

from api.commands.common import fail, runtime


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        fail(f"no such file: {path}")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {path}: {exc}")
    except json.JSONDecodeError as exc:
        fail(f"{path} is not JSON: {exc.msg} (line {exc.lineno})")


def triage(
    alert: Annotated[
        Path, typer.Option("--alert", help="Alertmanager v4 webhook payload or one alert (JSON file)")
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="print the TriageReport JSON instead of Markdown")
    ] = False,
    slack: Annotated[bool, typer.Option("--slack", help="print the Slack Block Kit blocks as JSON")] = False,
) -> None:
    """Gather evidence through the gateway, rank root causes (or abstain) and store the report."""
    from agents.deps import AgentDeps
    from agents.llm import make_chat_model
    from agents.reports import ReportStore
    from agents.settings import LLMSettings
    from agents.triage import AlertError, parse_alerts, run_triage, to_markdown, to_slack_blocks
    from guardrails.gateway import CallContext

    payload = _load(alert)
    try:
        alerts = [a for a in parse_alerts(payload) if a.status == "firing"]
    except AlertError as exc:
        fail(f"{alert}: {exc}")
    if not alerts:
        fail(f"{alert}: no firing alerts to triage")
    settings = LLMSettings()
    rt = runtime()
    try:
        store = ReportStore(rt.db)
        reports = []
        for item in alerts:
            ctx = CallContext(principal="agent:triage", run_id=f"triage-{uuid.uuid4().hex[:12]}")
            deps = AgentDeps(gateway=rt.gateway, ctx=ctx, chat=make_chat_model(settings), llm=settings)
            reports.append(run_triage(deps, item, store=store))
    finally:
        rt.close()
    if as_json:
        body = [json.loads(r.model_dump_json()) for r in reports]
        typer.echo(json.dumps(body[0] if len(body) == 1 else body, indent=2))
    elif slack:
        typer.echo(json.dumps([to_slack_blocks(r) for r in reports], indent=2))
    else:
        typer.echo("\n---\n\n".join(to_markdown(r) for r in reports))


def register(app: typer.Typer) -> None:
    """Add the ``triage`` command to the CLI."""
    app.command("triage")(triage)
