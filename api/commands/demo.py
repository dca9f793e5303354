"""``referent demo``: the main job end to end on the demo world.

Starts (or reuses) the sandbox, shows the gateway at work (a redacted, audited read and a blocked
write), triages every demo incident, writes a runbook for each ML alert rule, proposes rightsizing,
builds the FinOps report, and runs a production promotion that waits for a human approval, is
approved, resumes from its checkpoint and moves the alias; then verifies the audit chain and anchors
it with a signed checkpoint.

The rollback is started by a (pretend) Slack user and approved by you: the demo writes a demo policy
(``<state dir>/demo-policy.yaml``, unless ``REFERENT_POLICY_FILE`` is set) that maps your OS account
to the approver ``user:ml-lead`` — the CLI's way to authenticate a human.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer

DEMO_REQUESTER = "slack:U0DEMOREQUESTER"  # who "started" the rollback (cannot approve it)
DEMO_APPROVER = "user:ml-lead"
SCENARIOS = Path(__file__).resolve().parents[2] / "evals" / "scenarios" / "triage"
ML_RULES = Path(__file__).resolve().parents[2] / "evals" / "sandbox" / "rules" / "ml-platform.rules.yml"


def _banner(title: str) -> None:
    typer.echo(f"\n{'=' * 100}\n== {title}\n{'=' * 100}")


def _deps(rt: Any, principal: str, requested_by: str | None = None) -> Any:
    from agents.deps import AgentDeps
    from guardrails.gateway import CallContext

    ctx = CallContext(principal, f"demo-{uuid.uuid4().hex[:10]}", requested_by=requested_by)
    return AgentDeps(gateway=rt.gateway, ctx=ctx)


def _demo_policy() -> None:
    """Point REFERENT_POLICY_FILE (when unset) at the shipped policy plus ``cli_users: {you: ml-lead}``."""
    import yaml

    from guardrails.identity import os_user
    from guardrails.policy import DEFAULT_POLICY
    from guardrails.settings import GuardrailSettings

    settings = GuardrailSettings()
    if settings.policy_file is not None:
        return
    spec = yaml.safe_load(DEFAULT_POLICY.read_text())
    spec["cli_users"] = {os_user(): DEMO_APPROVER}
    path = settings.state_dir / "demo-policy.yaml"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    os.environ["REFERENT_POLICY_FILE"] = str(path)


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
        deps = _deps(rt, "agent:promotion", requested_by=DEMO_REQUESTER)
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
        _approve(rt, report.approval_id)
        try:
            typer.echo(to_markdown(resume_run(deps, checkpointer=saver, reports=store)))
        except ApprovalPending as exc:
            typer.echo(f"still pending: {exc}")


def _approve(rt: Any, approval_id: str) -> None:
    """Approve as the OS account running the demo (in Slack: the Approve button, as the clicking user)."""
    from guardrails.approvals import ApprovalError
    from guardrails.identity import IdentityError, cli_identity, os_user

    try:
        identity = cli_identity(rt.policy)
        typer.echo(
            f"rollback started by {DEMO_REQUESTER}; approving {approval_id} as {identity.principal} "
            f"(OS account {os_user()!r} mapped by the policy's cli_users)"
        )
        rt.gateway.decide_approval(approval_id, identity, approve=True, note="demo")
    except (ApprovalError, IdentityError) as exc:
        typer.echo(f"cannot approve from here: {exc}")


def _anchor(rt: Any) -> None:
    """Verify the chain, then anchor it with a signed checkpoint outside the database."""
    from guardrails.checkpoints import (
        checkpoint_location,
        signing_key,
        verify_with_checkpoints,
        write_checkpoint,
    )

    directory, key_file = checkpoint_location(rt.settings)
    cp = write_checkpoint(rt.audit, directory, signing_key(key_file))
    verdict = verify_with_checkpoints(rt.audit, directory)
    typer.echo(
        f"audit chain intact: {verdict.ok} ({verdict.records} records); signed checkpoint {cp.number} "
        f"anchors record {cp.seq} in {directory}; `referent audit verify --checkpoints {directory}`"
    )


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
    _demo_policy()
    rt = runtime()
    store = ReportStore(rt.db, rt.gateway.redactor)
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
        _banner("audit (`referent audit tail` shows the records)")
        _anchor(rt)
        _banner("the service: a real Alertmanager → referent serve → triage → Slack thread")
        from api.service.demo import service_walkthrough

        service_walkthrough(endpoints, typer.echo)
    finally:
        rt.close()
        if down:
            sandbox.down(directory)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
