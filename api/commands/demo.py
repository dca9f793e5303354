"""``referent demo``: the main job end to end on the demo world.

Starts (or reuses) the sandbox, shows the gateway at work (a redacted, audited read and a blocked
write), triages every demo incident, writes a runbook for each ML alert rule, proposes rightsizing,
builds the FinOps report, and runs a production promotion that waits for a human approval, is
approved, resumes from its checkpoint and moves the alias; then verifies the audit chain.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer

SCENARIOS = Path(__file__).resolve().parents[2] / "evals" / "scenarios" / "triage"
ML_RULES = Path(__file__).resolve().parents[2] / "evals" / "sandbox" / "rules" / "ml-platform.rules.yml"


def _banner(title: str) -> None:
    typer.echo(f"\n{'=' * 100}\n== {title}\n{'=' * 100}")


def _deps(rt: Any, principal: str) -> Any:
    from agents.deps import AgentDeps
    from guardrails.gateway import CallContext

    return AgentDeps(gateway=rt.gateway, ctx=CallContext(principal, f"demo-{uuid.uuid4().hex[:10]}"))


def _gateway_tour(rt: Any) -> None:
    from guardrails.errors import PolicyDenied

    deps = _deps(rt, "agent:triage")
    result = deps.call("mlflow.get_model", model="fraud-scorer")
    typer.echo(
        f"allowed read  mlflow.get_model → evidence {result.evidence_id}, aliases "
        f"{result.data.get('aliases')}"
    )
    try:
        deps.call("mlflow.set_alias", model="fraud-scorer", alias="champion", version=1, by="agent:triage")
    except PolicyDenied as exc:
        typer.echo(f"blocked write mlflow.set_alias by agent:triage → denied: {exc.message}")


def _triage(rt: Any, store: Any) -> None:
    from agents.triage import to_markdown, triage_payload

    for path in sorted(SCENARIOS.glob("*.json")):
        for report in triage_payload(_deps(rt, "agent:triage"), json.loads(path.read_text()), store=store):
            typer.echo(to_markdown(report))


def _runbooks(rt: Any) -> None:
    from agents.runbook.graph import run_runbooks
    from agents.runbook.render import to_markdown
    from agents.runbook.rules import load_rules

    batch = run_runbooks(_deps(rt, "agent:runbook"), load_rules(ML_RULES))
    typer.echo(
        f"{len(batch.runbooks)} runbooks stored ({batch.rejected_queries} candidate queries rejected "
        "by the parser); the first one:"
    )
    typer.echo(to_markdown(batch.runbooks[0]))


def _rightsizing(rt: Any, store: Any) -> None:
    from agents.finops.render import to_html
    from agents.finops.report import run_finops_report
    from agents.rightsizing.graph import run_rightsizing
    from agents.rightsizing.render import to_markdown

    typer.echo(to_markdown(run_rightsizing(_deps(rt, "agent:rightsizing"), store=store)))
    finops = run_finops_report(_deps(rt, "agent:rightsizing"), store=store)
    out = rt.settings.state_dir / "finops-report.html"
    out.write_text(to_html(finops))
    typer.echo(f"FinOps report (HTML with charts): {out.resolve()}")


def _promotion(rt: Any, store: Any) -> None:
    """Promotion checks on the challenger, then the triage-suggested rollback through a human approval."""
    from agents.promotion import ApprovalPending, resume_run, run_promotion, run_rollback
    from agents.promotion.checkpoint import checkpointer
    from agents.promotion.render import to_markdown
    from evals.worlds import load_world

    with checkpointer(rt.settings) as saver:
        checks = run_promotion(
            _deps(rt, "agent:promotion"),
            "chargeback-risk",
            3,
            "production",
            dry_run=True,
            checkpointer=saver,
            reports=store,
        )
        typer.echo(to_markdown(checks))
        deps = _deps(rt, "agent:promotion")
        bad = load_world("demo").incidents_of("bad_model_version")[0]
        champion = deps.call("mlflow.get_model", model=bad.model).data["aliases"].get("champion")
        if champion != bad.version:
            typer.echo(
                f"{bad.model} champion is v{champion}, not the bad v{bad.version}: already rolled back"
            )
            return
        report = run_rollback(deps, bad.model or "", checkpointer=saver, reports=store)
        typer.echo(to_markdown(report))
        if not report.approval_id:
            return
        typer.echo(f"approving {report.approval_id} as user:ml-lead (in Slack: the Approve button)")
        rt.gateway.decide_approval(report.approval_id, "user:ml-lead", approve=True, note="demo")
        try:
            typer.echo(to_markdown(resume_run(deps, checkpointer=saver, reports=store)))
        except ApprovalPending as exc:
            typer.echo(f"still pending: {exc}")


def demo(
    directory: Annotated[Path, typer.Option("--dir", help="sandbox directory")] = Path(".sandbox"),
    down: Annotated[bool, typer.Option(help="stop the sandbox at the end")] = False,
) -> None:
    """Run the main job end to end on the demo world (starts the sandbox when needed)."""
    from agents.reports import ReportStore
    from api.commands.common import runtime
    from evals.sandbox import world as sandbox
    from evals.worlds import load_world

    _banner("sandbox: real MLflow, Prometheus, Alertmanager, Feast and FOCUS billing")
    endpoints = sandbox.up(load_world("demo"), directory)
    typer.echo(json.dumps(endpoints, indent=2))
    os.environ.setdefault("REFERENT_SANDBOX_DIR", str(Path(endpoints["dir"])))
    rt = runtime()
    store = ReportStore(rt.db)
    try:
        for title, step in (
            ("gateway: policy → approval → call → redaction → audit", lambda: _gateway_tour(rt)),
            ("triage: every demo incident", lambda: _triage(rt, store)),
            ("runbooks from the ML alert rules", lambda: _runbooks(rt)),
            ("rightsizing and FinOps", lambda: _rightsizing(rt, store)),
            ("promotion checks, then the rollback through a human approval", lambda: _promotion(rt, store)),
        ):
            _banner(title)
            step()
        _banner("audit")
        verdict = rt.audit.verify()
        typer.echo(
            f"audit chain intact: {verdict.ok} ({verdict.records} records); `referent audit tail` shows them"
        )
    finally:
        rt.close()
        if down:
            sandbox.down(directory)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
