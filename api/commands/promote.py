"""``referent promote``, ``referent resume`` and ``referent rollback``: promotion checks and alias moves.

Exit codes: 0 when the decision is promote (moved, waiting for approval, or a passing dry run), 1 when
blocked, 2 on bad input. A production move waits for a human: the command prints the approval id and
exits; after an approver runs ``referent approvals approve ID`` (as their own OS account, mapped in the
policy's ``cli_users``; the person who started the run cannot), ``referent promote --resume RUN_ID`` (or
``referent resume RUN_ID``) continues the same run in a new process from the durable checkpoint
(SQLite next to the state, or PostgreSQL: :func:`agents.promotion.checkpoint.checkpointer`).

``--dry-run`` computes the gates and prints the decision without any write and without asking for
approval: no alias move, no checkpoint, no stored report — only the audit records of its reads.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Annotated, Any

import typer

from api.commands.common import fail, runtime

PRINCIPAL = "agent:promotion"
SOURCES = ("mlflow", "prometheus", "feast")  # what the gates read; billing and Slack are not loaded
JsonOption = Annotated[bool, typer.Option("--json", help="print the report as JSON")]
SlackOption = Annotated[bool, typer.Option("--slack", help="print the Slack Block Kit blocks as JSON")]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="run the gates only; never move the alias")]


def _run(
    run_id: str, environment: str, body: Callable[[Any, Any, Any], Any], *, dry_run: bool = False
) -> Any:
    """Build the runtime and the run's deps; call ``body(deps, saver, reports)``.

    A real run gets the durable checkpointer and the report store. A dry run writes nothing but its
    audit records: ``saver`` and ``reports`` are None (an in-memory checkpoint, no stored report).
    """
    from agents.deps import AgentDeps
    from guardrails.gateway import CallContext
    from guardrails.identity import cli_requester

    rt = runtime(sources=SOURCES)
    try:
        ctx = CallContext(PRINCIPAL, run_id, environment=environment, requested_by=cli_requester(rt.policy))
        deps = AgentDeps(gateway=rt.gateway, ctx=ctx)
        if dry_run:
            return body(deps, None, None)
        from agents.promotion.checkpoint import checkpointer
        from agents.reports import ReportStore

        with checkpointer(rt.settings) as saver:
            return body(deps, saver, ReportStore(rt.db, rt.gateway.redactor))
    finally:
        rt.close()


def _emit(report: Any, json_out: bool, slack: bool) -> None:
    from agents.promotion.render import to_markdown, to_slack_blocks

    if json_out:
        typer.echo(report.model_dump_json(indent=2))
    elif slack:
        typer.echo(json.dumps(to_slack_blocks(report), indent=2))
    else:
        typer.echo(to_markdown(report))
    if report.decision != "promote":
        raise typer.Exit(code=1)


def _resume(run_id: str, json_out: bool, slack: bool) -> None:
    from agents.promotion.checkpoint import checkpointer
    from agents.promotion.run import PromotionError, resume_run, saved_state
    from guardrails.approvals import ApprovalError
    from guardrails.settings import GuardrailSettings

    with checkpointer(GuardrailSettings()) as saver:
        state = saved_state(saver, run_id)
    if state is None:
        fail(f"no promotion run {run_id} in the checkpoint store")
    try:
        report = _run(
            run_id,
            str(state.get("target", "production")),
            lambda deps, saver, reports: resume_run(deps, checkpointer=saver, reports=reports),
        )
    except (PromotionError, ApprovalError) as exc:
        fail(str(exc))
    _emit(report, json_out, slack)


def promote(
    model: Annotated[str | None, typer.Argument(help="registered model name")] = None,
    version: Annotated[int | None, typer.Argument(min=1, help="model version number")] = None,
    to: Annotated[str, typer.Option("--to", help="staging | production")] = "staging",
    dry_run: DryRunOption = False,
    resume: Annotated[str | None, typer.Option("--resume", help="resume the waiting run RUN_ID")] = None,
    json_out: JsonOption = False,
    slack: SlackOption = False,
) -> None:
    """Check a model version against its champion and move the staging / champion alias."""
    if resume:
        _resume(resume, json_out, slack)
        return
    if model is None or version is None:
        fail("give MODEL and VERSION (or --resume RUN_ID)")
    if to not in ("staging", "production"):
        fail(f"--to must be staging or production, not {to!r}")
    from agents.promotion.run import run_promotion

    run_id = f"promote-{uuid.uuid4().hex[:12]}"
    report = _run(
        run_id,
        to,
        lambda deps, saver, reports: run_promotion(
            deps,
            model,
            version,
            to,  # type: ignore[arg-type]
            dry_run=dry_run,
            checkpointer=saver,
            reports=reports,
        ),
        dry_run=dry_run,
    )
    _emit(report, json_out, slack)


def resume_cmd(
    run_id: Annotated[str, typer.Argument(help="the run id a waiting promotion or rollback printed")],
    json_out: JsonOption = False,
    slack: SlackOption = False,
) -> None:
    """Resume a promotion or rollback that waited for approval (after the approver decided)."""
    _resume(run_id, json_out, slack)


def rollback(
    model: Annotated[str, typer.Argument(help="registered model name")],
    alias: Annotated[
        str, typer.Option("--alias", help="alias to move back (champion = production)")
    ] = "champion",
    dry_run: DryRunOption = False,
    json_out: JsonOption = False,
    slack: SlackOption = False,
) -> None:
    """Point an alias back at its previous holder (production needs approval, then `referent resume`)."""
    from agents.promotion.run import run_rollback

    if not alias.strip():
        fail("--alias must not be empty")
    environment = _alias_environment(alias)
    run_id = f"rollback-{uuid.uuid4().hex[:12]}"
    report = _run(
        run_id,
        environment,
        lambda deps, saver, reports: run_rollback(
            deps, model, alias=alias, dry_run=dry_run, checkpointer=saver, reports=reports
        ),
        dry_run=dry_run,
    )
    _emit(report, json_out, slack)


def _alias_environment(alias: str) -> str:
    """The environment of ``alias`` in the configured policy's one alias map (unknown: production)."""
    from guardrails.policy import Policy
    from guardrails.settings import GuardrailSettings

    try:
        return Policy.load(GuardrailSettings().policy_file).environment_of_alias(alias)
    except ValueError as exc:
        fail(str(exc))


def register(app: typer.Typer) -> None:
    """Add ``promote``, ``resume`` and ``rollback`` to the ``referent`` app."""
    app.command("promote")(promote)
    app.command("resume")(resume_cmd)
    app.command("rollback")(rollback)
