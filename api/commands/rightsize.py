"""``referent rightsize`` and ``referent finops report``: the rightsizing agent and the FinOps report."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, Any

import typer

from api.commands.common import fail, runtime

PRINCIPAL = "agent:rightsizing"
finops_app = typer.Typer(
    help="FinOps reports (billing totals, cost trend, top movers, savings).", no_args_is_help=True
)


def _deps(rt: Any) -> Any:
    from agents.deps import AgentDeps
    from agents.llm import make_chat_model
    from agents.settings import LLMSettings
    from guardrails.gateway import CallContext

    llm = LLMSettings()
    ctx = CallContext(principal=PRINCIPAL, run_id=f"rightsizing-{uuid.uuid4().hex[:10]}")
    return AgentDeps(gateway=rt.gateway, ctx=ctx, chat=make_chat_model(llm), llm=llm)


def rightsize(
    namespace: Annotated[str | None, typer.Option(help="only workloads of this namespace")] = None,
    workload: Annotated[str | None, typer.Option(help="only this workload (container name)")] = None,
    window_days: Annotated[int, typer.Option("--window-days", min=1, max=90, help="days of history")] = 14,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Recommend CPU/memory/GPU per workload with bounds, risk and monthly savings; print the report."""
    from agents.reports import ReportStore
    from agents.rightsizing.graph import run_rightsizing
    from agents.rightsizing.render import to_markdown

    for name, value in (("namespace", namespace), ("workload", workload)):
        if value is not None and (not value or any(c in value for c in '"{}\\')):
            fail(f"invalid --{name} {value!r}")
    rt = runtime()
    try:
        report = run_rightsizing(
            _deps(rt),
            namespace=namespace,
            workload=workload,
            window_days=window_days,
            store=ReportStore(rt.db, rt.gateway.redactor),
        )
    finally:
        rt.close()
    if not report.recommendations and (namespace or workload):
        fail(f"no workload found for namespace={namespace!r} workload={workload!r}")
    typer.echo(report.model_dump_json(indent=2) if as_json else to_markdown(report))


@finops_app.command("report")
def finops_report(
    out: Annotated[
        Path | None, typer.Option(help="write finops-report.md/.html/.json into this directory")
    ] = None,
    slack: Annotated[
        bool, typer.Option("--slack", help="post it through the gateway to REFERENT_SLACK_CHANNEL")
    ] = False,
    trend_days: Annotated[int, typer.Option(min=2, max=400, help="days in the cost trend")] = 30,
) -> None:
    """Build the FinOps report (Markdown + HTML with charts), optionally write it and post it to Slack."""
    from agents.finops.render import to_html, to_markdown
    from agents.finops.report import run_finops_report
    from agents.reports import ReportStore
    from tools.settings import PlatformSettings

    platform = PlatformSettings()
    if slack and (platform.slack_bot_token is None or not platform.slack_channel):
        fail("--slack needs REFERENT_SLACK_BOT_TOKEN and REFERENT_SLACK_CHANNEL")
    if out is not None and out.exists() and not out.is_dir():
        fail(f"--out {out} is not a directory")
    rt = runtime()
    try:
        deps = _deps(rt)
        report = run_finops_report(deps, store=ReportStore(rt.db, rt.gateway.redactor), trend_days=trend_days)
        if slack:
            _post(deps, report, platform)
    finally:
        rt.close()
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "finops-report.md").write_text(to_markdown(report))
        (out / "finops-report.html").write_text(to_html(report))
        (out / "finops-report.json").write_text(report.model_dump_json(indent=2))
    typer.echo(to_markdown(report))


def _post(deps: Any, report: Any, platform: Any) -> None:
    """Post the stored report (summary + link to its page) through the gateway; exit 1 when refused."""
    from agents.finops.slack import post_report
    from guardrails.errors import GatewayError

    try:
        sent = post_report(deps, report, platform.slack_channel, platform.public_url)
    except GatewayError as exc:
        fail(f"the report was not posted to Slack: {exc.message}", code=1)
    typer.echo(f"posted to Slack channel {sent.get('channel')} (ts {sent.get('ts')})", err=True)


def register(app: typer.Typer) -> None:
    """Add ``rightsize`` and the ``finops`` group (``finops report``) to the CLI."""
    app.command("rightsize")(rightsize)
    app.add_typer(finops_app, name="finops")
