"""``referent triage --alert FILE``: triage an Alertmanager v4 payload or a single alert (JSON).

Input bounds (:class:`agents.settings.IntakeSettings`): a file larger than ``REFERENT_MAX_ALERT_BYTES``
is refused from its size alone, before it is read; a payload with more than ``REFERENT_MAX_ALERTS``
alerts is refused before any is triaged. Both exit 2.

Output is streamed: each report is printed as soon as it is ready — Markdown separated by ``---``,
or with ``--json`` one JSON object (indented) for a single alert and JSON Lines (one report per line)
for several; ``--slack`` likewise prints one Block Kit list per report.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Generator
from pathlib import Path
from typing import Annotated, Any

import typer

from api.commands.common import fail, runtime


def _load(path: Path, max_bytes: int) -> Any:
    """The JSON in ``path``; too large (by its size, before reading), unreadable or not JSON exits 2."""
    try:
        size = path.stat().st_size
        if path.is_file() and size > max_bytes:
            fail(f"{path} is {size} bytes, above REFERENT_MAX_ALERT_BYTES={max_bytes}")
        with path.open("rb") as fh:
            raw = fh.read(max_bytes + 1)  # a file that grew (or a pipe) is still bounded
    except FileNotFoundError:
        fail(f"no such file: {path}")
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    if len(raw) > max_bytes:
        fail(f"{path} is larger than REFERENT_MAX_ALERT_BYTES={max_bytes} bytes")
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        fail(f"{path} is not UTF-8 text")
    except json.JSONDecodeError as exc:
        fail(f"{path} is not JSON: {exc.msg} (line {exc.lineno})")
    except RecursionError:
        fail(f"{path} is nested too deeply")


def alert_count(payload: Any) -> int:
    """How many alerts a payload carries (before deduplication): a list, a v4 payload, or one alert."""
    if isinstance(payload, list):
        return len(payload)
    if isinstance(payload, dict) and isinstance(payload.get("alerts"), list):
        return len(payload["alerts"])
    return 1


def _reports(alerts: list[Any]) -> Generator[Any, None, None]:
    """Triage the alerts one after the other, yielding each report as soon as it is stored."""
    from agents.deps import AgentDeps
    from agents.llm import make_chat_model
    from agents.reports import ReportStore
    from agents.settings import LLMSettings
    from agents.triage import run_triage
    from guardrails.gateway import CallContext

    settings = LLMSettings()
    rt = runtime()
    try:
        store = ReportStore(rt.db, rt.gateway.redactor)
        for item in alerts:
            ctx = CallContext(principal="agent:triage", run_id=f"triage-{uuid.uuid4().hex[:12]}")
            deps = AgentDeps(gateway=rt.gateway, ctx=ctx, chat=make_chat_model(settings), llm=settings)
            yield run_triage(deps, item, store=store)
    finally:
        rt.close()


def _emit(report: Any, index: int, several: bool, as_json: bool, slack: bool) -> None:
    from agents.triage import to_markdown, to_slack_blocks

    if as_json:
        body = json.loads(report.model_dump_json())
        typer.echo(json.dumps(body, separators=(",", ":")) if several else json.dumps(body, indent=2))
    elif slack:
        blocks = to_slack_blocks(report)
        typer.echo(json.dumps(blocks, separators=(",", ":")) if several else json.dumps(blocks, indent=2))
    else:
        typer.echo(("\n---\n\n" if index else "") + to_markdown(report))


def triage(
    alert: Annotated[
        Path, typer.Option("--alert", help="Alertmanager v4 webhook payload or one alert (JSON file)")
    ],
    as_json: Annotated[
        bool,
        typer.Option("--json", help="print the TriageReport JSON (JSON Lines when there are several)"),
    ] = False,
    slack: Annotated[bool, typer.Option("--slack", help="print the Slack Block Kit blocks as JSON")] = False,
) -> None:
    """Gather evidence through the gateway, rank root causes (or abstain) and store the report."""
    from agents.settings import IntakeSettings
    from agents.triage.alert import AlertError, parse_alerts

    limits = IntakeSettings()
    payload = _load(alert, limits.max_alert_bytes)
    count = alert_count(payload)
    if count > limits.max_alerts:
        fail(f"{alert}: {count} alerts, above REFERENT_MAX_ALERTS={limits.max_alerts}")
    try:
        alerts = [a for a in parse_alerts(payload) if a.status == "firing"]
    except AlertError as exc:
        fail(f"{alert}: {exc}")
    if not alerts:
        fail(f"{alert}: no firing alerts to triage")
    for index, report in enumerate(_reports(alerts)):
        _emit(report, index, len(alerts) > 1, as_json, slack)


def register(app: typer.Typer) -> None:
    """Add the ``triage`` command to the CLI."""
    app.command("triage")(triage)
