"""Gateway commands: ``redact``, ``audit verify|checkpoint|tail``, ``approvals list|approve|deny``,
``policy check``.

``approvals approve|deny`` act as the operating-system account running the command, mapped to a
principal by the policy's ``cli_users``; there is no ``--as``. ``audit verify`` opens the store
read-only and refuses a missing one; with ``--checkpoints`` it also proves the chain against the
signed checkpoints ``audit checkpoint`` writes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

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


def _existing_database(url: str | None):  # type: ignore[no-untyped-def]
    """The store, opened read-only; a missing or unreachable one exits 2 (nothing is created)."""
    from guardrails.store.db import Database, StoreError

    try:
        return Database.open_existing(url or _settings().db_url)
    except StoreError as exc:
        fail(str(exc))


def _checkpoint_paths(directory: Path | None) -> tuple[Path, Path]:
    """The checkpoint directory (``directory``, else the configured one) and the signing key file."""
    from guardrails.checkpoints import checkpoint_location

    configured, key_file = checkpoint_location(_settings())
    return directory or configured, key_file


CheckpointDirOption = Annotated[
    Path | None,
    typer.Option(
        "--dir", help="checkpoint directory (default: REFERENT_AUDIT_CHECKPOINT_DIR or the state dir)"
    ),
]


@audit_app.command("verify")
def audit_verify(
    db: DbOption = None,
    checkpoints: Annotated[
        Path | None,
        typer.Option("--checkpoints", help="also prove the chain against this checkpoint directory"),
    ] = None,
) -> None:
    """Recompute the hash chain. Exit 0 when intact; 1 naming the first bad record; 2 without a store."""
    from sqlalchemy.exc import SQLAlchemyError

    from guardrails.audit import AuditLog

    database = _existing_database(db)
    try:
        if checkpoints is not None:
            _verify_anchored(AuditLog(database), checkpoints)
            return
        result = AuditLog(database).verify()
    except SQLAlchemyError as exc:
        fail(f"cannot read the audit log: {type(exc).__name__} (is this a Referent database?)")
    finally:
        database.dispose()
    if result.ok:
        typer.echo(f"audit chain intact: {result.records} records (not anchored: pass --checkpoints DIR)")
        return
    typer.echo(f"audit chain BROKEN at record {result.first_bad_seq}: {result.problem}", err=True)
    raise typer.Exit(code=1)


def _verify_anchored(audit_log: Any, directory: Path) -> None:
    from guardrails.checkpoints import CheckpointError, signing_key, verify_with_checkpoints

    _, key_file = _checkpoint_paths(directory)
    try:  # with the signing key at hand, trust it rather than the .pub beside the checkpoints
        trusted = signing_key(key_file).public_key() if key_file.is_file() else None
    except (CheckpointError, ValueError, OSError) as exc:
        fail(f"cannot read the audit signing key {key_file}: {exc}")
    verdict = verify_with_checkpoints(audit_log, directory, trusted)
    if verdict.ok and verdict.checkpoints == 0:
        fail(f"no checkpoints in {directory}: nothing anchors the chain", code=1)
    if not verdict.ok:
        typer.echo(f"audit chain BROKEN: {verdict.problem}", err=True)
        raise typer.Exit(code=1)
    after = (
        f"{verdict.after} later records verify but are not anchored yet" if verdict.after else "none after it"
    )
    typer.echo(
        f"audit chain intact: records 1..{verdict.anchored_seq} match checkpoint {verdict.checkpoints}; "
        f"{after} ({verdict.records} records in all)"
    )


@audit_app.command("checkpoint")
def audit_checkpoint(db: DbOption = None, directory: CheckpointDirOption = None) -> None:
    """Verify the chain and append a signed checkpoint of its head to the checkpoint directory."""
    from guardrails.audit import AuditLog
    from guardrails.checkpoints import CheckpointError, signing_key, write_checkpoint

    target, key_file = _checkpoint_paths(directory)
    database = _existing_database(db)
    try:
        cp = write_checkpoint(AuditLog(database), target, signing_key(key_file))
    except (CheckpointError, OSError) as exc:
        fail(str(exc), code=1)
    finally:
        database.dispose()
    typer.echo(f"checkpoint {cp.number}: record {cp.seq} hash {cp.hash[:16]}… → {cp.path}")


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
    from guardrails.keyfiles import approval_key

    for a in ApprovalStore(_database(db), approval_key(_settings())).pending():
        started = f" started-by={a.requested_by}" if a.requested_by else ""
        tampered = "" if a.intact else "  TAMPERED (fails verification)"
        typer.echo(
            f"{a.id}  {a.tool}  env={a.environment}  by={a.requester}{started}  run={a.run_id}  "
            f"args={a.arguments}  approvers={','.join(a.approvers)}  expires={a.expires_at:%H:%M:%S}Z{tampered}"
        )


def _decide(approval_id: str, as_: str | None, approve: bool, note: str) -> None:
    """Decide as the OS account's mapped principal; ``--as`` may only repeat that principal."""
    from guardrails.approvals import ApprovalError
    from guardrails.identity import IdentityError, check_principal, cli_identity

    rt = _runtime_no_tools()
    try:
        identity = cli_identity(rt.policy)
        if as_ is not None and check_principal(as_) != identity.principal:
            fail(f"--as {as_} is not you: this OS account acts as {identity.principal}")
        result = rt.gateway.decide_approval(approval_id, identity, approve=approve, note=note)
    except (ApprovalError, IdentityError) as exc:
        fail(str(exc))
    finally:
        rt.close()
    typer.echo(f"approval {result.id}: {result.status.value} by {result.decided_by} ({identity.via})")


def _runtime_no_tools():  # type: ignore[no-untyped-def]
    from api.commands.common import runtime

    return runtime(register_platform_tools=False)


AsOption = Annotated[
    str | None,
    typer.Option("--as", help="optional check: must equal the principal your OS account maps to (cli_users)"),
]


@approvals_app.command("approve")
def approvals_approve(
    approval_id: str, as_: AsOption = None, note: Annotated[str, typer.Option(help="why")] = ""
) -> None:
    """Approve a pending call as your OS account's principal (policy cli_users; must be an approver)."""
    _decide(approval_id, as_, True, note)


@approvals_app.command("deny")
def approvals_deny(
    approval_id: str, as_: AsOption = None, note: Annotated[str, typer.Option(help="why")] = ""
) -> None:
    """Deny a pending call as your OS account's principal (policy cli_users; must be an approver)."""
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
    from guardrails.identity import InvalidPrincipal, check_principal
    from guardrails.policy import ENVIRONMENTS, Policy

    try:
        check_principal(principal)
    except InvalidPrincipal as exc:
        fail(str(exc))
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
