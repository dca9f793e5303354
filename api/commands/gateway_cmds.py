"""Gateway commands: ``redact``, ``audit verify|tail``, ``approvals list|approve|deny``, ``policy check``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from api.commands.common import fail

audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
approvals_app = typer.Typer(help="Pending human approvals.", no_args_is_help=True)
policy_app = typer.Typer(help="The access policy.", no_args_is_help=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="SQLAlchemy URL (default: REFERENT_DATABASE_URL or the local SQLite file)"),
]


def _settings():  # type: ignore[no-untyped-def]
    from pydantic import ValidationError

    from guardrails.settings import GuardrailSettings

    try:
        return GuardrailSettings()
    except ValidationError as exc:
        fail(f"invalid configuration: {exc.errors()[0]['msg']}")


def _database(url: str | None):  # type: ignore[no-untyped-def]
    from guardrails.store.db import Database, StoreError

    try:
        return Database(url or _settings().db_url)
    except StoreError as exc:
        fail(str(exc))


def redact(
    json_out: Annotated[
        bool, typer.Option("--json", help="print findings (entity type, start, end, score) instead")
    ] = False,
    scope: Annotated[str, typer.Option(help="pseudonym scope (e.g. an incident id)")] = "cli",
) -> None:
    """Redact stdin to stdout. Lines where nothing is found come out byte-identical."""
    from guardrails.factory import build_redactor
    from guardrails.redaction.cli import redact_stream

    redactor = build_redactor(_settings())
    redact_stream(sys.stdin, sys.stdout, redactor, json_findings=json_out, scope=scope)


@audit_app.command("verify")
def audit_verify(db: DbOption = None) -> None:
    """Recompute the hash chain. Exit 0 when intact; exit 1 naming the first bad record."""
    from guardrails.audit import AuditLog

    result = AuditLog(_database(db)).verify()
    if result.ok:
        typer.echo(f"audit chain intact: {result.records} records")
        return
    typer.echo(f"audit chain BROKEN at record {result.first_bad_seq}: {result.problem}", err=True)
    raise typer.Exit(code=1)


@audit_app.command("tail")
def audit_tail(
    db: DbOption = None,
    n: Annotated[int, typer.Option("-n", min=1, max=10000, help="how many records")] = 20,
    run: Annotated[str | None, typer.Option(help="only this run id")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show the most recent audit records (already redacted)."""
    from guardrails.audit import HASHED_FIELDS, AuditLog

    records = AuditLog(_database(db)).tail(n, run)
    for rec in records:
        if json_out:
            typer.echo(json.dumps({k: getattr(rec, k) for k in (*HASHED_FIELDS, "hash")}))
        else:
            typer.echo(
                f"{rec.seq:>6} {rec.ts[:19]} {rec.principal:<20} {rec.tool:<28} {rec.decision:<15} "
                f"{rec.outcome:<22} {rec.latency_ms:8.1f}ms {rec.reason[:60]}"
            )


@approvals_app.command("list")
def approvals_list(db: DbOption = None) -> None:
    """List pending approvals."""
    from guardrails.approvals import ApprovalStore

    for a in ApprovalStore(_database(db)).pending():
        typer.echo(
            f"{a.id}  {a.tool}  env={a.environment}  by={a.requester}  run={a.run_id}  "
            f"args={a.arguments}  approvers={','.join(a.approvers)}  expires={a.expires_at:%H:%M:%S}Z"
        )


def _decide(approval_id: str, principal: str, approve: bool, note: str) -> None:
    from guardrails.approvals import ApprovalError

    rt = _runtime_no_tools()
    try:
        result = rt.gateway.decide_approval(approval_id, principal, approve=approve, note=note)
    except ApprovalError as exc:
        fail(str(exc))
    finally:
        rt.close()
    typer.echo(f"approval {result.id}: {result.status.value} by {result.decided_by}")


def _runtime_no_tools():  # type: ignore[no-untyped-def]
    from api.commands.common import runtime

    return runtime(register_platform_tools=False)


@approvals_app.command("approve")
def approvals_approve(
    approval_id: str,
    as_: Annotated[
        str, typer.Option("--as", help="approving principal, e.g. user:ml-lead or slack:U0APPROVER1")
    ],
    note: Annotated[str, typer.Option(help="why")] = "",
) -> None:
    """Approve a pending call (the principal must be an approver in the policy)."""
    _decide(approval_id, as_, True, note)


@approvals_app.command("deny")
def approvals_deny(
    approval_id: str,
    as_: Annotated[str, typer.Option("--as", help="deciding principal")],
    note: Annotated[str, typer.Option(help="why")] = "",
) -> None:
    """Deny a pending call."""
    _decide(approval_id, as_, False, note)


@policy_app.command("check")
def policy_check(
    principal: Annotated[str, typer.Option(help="e.g. agent:triage")],
    tool: Annotated[str, typer.Option(help="e.g. mlflow.set_alias")],
    action: Annotated[str, typer.Option(help="read | write | destructive")] = "read",
    env: Annotated[str, typer.Option(help="dev | staging | production")] = "production",
    arg: Annotated[list[str] | None, typer.Option(help="argument as key=value (repeatable)")] = None,
    policy_file: Annotated[
        Path | None, typer.Option("--policy", help="policy YAML (default: configured)")
    ] = None,
) -> None:
    """Show the decision the policy gives a call (exit 0 allow, 1 deny or needs_approval)."""
    from guardrails.policy import ENVIRONMENTS, Policy

    if action not in {"read", "write", "destructive"}:
        fail(f"unknown action {action!r} (read, write, destructive)")
    if env not in ENVIRONMENTS:
        fail(f"unknown environment {env!r} ({', '.join(ENVIRONMENTS)})")
    pairs = [a.split("=", 1) for a in arg or []]
    if any(len(p) != 2 for p in pairs):
        fail("--arg takes key=value")
    try:
        policy = Policy.load(policy_file or _settings().policy_file)
    except ValueError as exc:
        fail(str(exc))
    decision = policy.decide(principal, tool, action, env, dict(pairs))  # type: ignore[arg-type]
    typer.echo(f"{decision.decision.value}: {decision.reason}")
    raise typer.Exit(code=0 if decision.allowed else 1)


def register(app: typer.Typer) -> None:
    app.command("redact")(redact)
    app.add_typer(audit_app, name="audit")
    app.add_typer(approvals_app, name="approvals")
    app.add_typer(policy_app, name="policy")
