"""Approvals that cannot be forged, tried as an attacker with CLI and database access would.

Forged principals (groups, globs, plain strings), self-approval by the run's human, decisions that must
be audited, approval rows edited in SQL, and aliases the policy does not know. Runs on SQLite and
(integration) PostgreSQL through the ``rt`` fixture.
"""

from __future__ import annotations

import dataclasses
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import DateTime, bindparam, text

from guardrails.approvals import ApprovalError, ApprovalStore
from guardrails.errors import ApprovalInvalid, ApprovalRequired
from guardrails.gateway import CallContext
from guardrails.identity import (
    Identity,
    InvalidPrincipal,
    NotAuthenticated,
    check_principal,
    slack_identity,
    token_identity,
)
from guardrails.policy import Decision, Policy, PolicyFile

ARGS = {"model": "fraud-scorer", "alias": "champion", "version": 4}
PROMOTION = CallContext("agent:promotion", "run-appr")


def _pending(rt: Any, ctx: CallContext = PROMOTION, args: dict[str, Any] = ARGS) -> str:
    with pytest.raises(ApprovalRequired) as pending:
        rt.gateway.call(ctx, "mlflow.set_alias", args)
    return str(pending.value.approval_id)


def _sql(rt: Any, statement: str, **params: Any) -> None:
    """Run raw SQL as an attacker would; datetimes bound as the column type stores them (Feast registers
    a process-wide sqlite3 adapter turning bare datetimes into epoch integers)."""
    typed = [
        bindparam(k, type_=DateTime(timezone=True)) for k, v in params.items() if isinstance(v, datetime)
    ]
    with rt.db.engine.begin() as conn:
        conn.execute(text(statement).bindparams(*typed), params)


# --- forged principals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "forged",
    ["group:approvers", "group:ml-approvers", "slack:U0APPROVER*", "user:[lead]", "user:le?d", "lead", ""],
)
def test_groups_and_globs_are_never_principals(forged):
    with pytest.raises(InvalidPrincipal):
        check_principal(forged)
    with pytest.raises(InvalidPrincipal):
        CallContext(forged or "x", "run")
    policy = Policy.load()
    assert not policy.can_approve(forged, ("group:ml-approvers", "slack:U0APPROVER*"))
    assert not policy.can_reveal(forged)
    assert not policy.can_reveal("group:security")  # the group that may reveal is not itself a revealer
    assert policy.decide(forged, "prometheus.query", "read", "dev", {}).decision is Decision.DENY


def test_identity_cannot_be_made_from_a_string(rt, auth):
    approval_id = _pending(rt)
    with pytest.raises(TypeError):
        Identity("user:lead", "cli")  # only the authentication functions mint one
    with pytest.raises(TypeError):
        dataclasses.replace(auth.token("intern"), principal="user:lead")
    with pytest.raises(TypeError):
        rt.gateway.decide_approval(approval_id, "user:lead", approve=True)  # type: ignore[arg-type]
    assert rt.approvals.get(approval_id).status.value == "pending"


def test_requester_of_the_run_cannot_approve(rt, auth):
    """The human who started the run (mapped CLI user user:lead, an approver) cannot approve it."""
    ctx = CallContext("agent:promotion", "run-self", requested_by="user:lead")
    approval_id = _pending(rt, ctx)
    assert rt.approvals.get(approval_id).requested_by == "user:lead"
    with pytest.raises(ApprovalError, match="cannot decide"):
        rt.gateway.decide_approval(approval_id, auth.cli(rt.policy), approve=True)
    approved = rt.gateway.decide_approval(approval_id, auth.slack("U0APPROVER2"), approve=True)
    assert approved.decided_by == "slack:U0APPROVER2"
    rt.gateway.call(ctx, "mlflow.set_alias", ARGS, approval_id=approval_id)


def test_every_decision_and_refusal_is_audited(rt, auth):
    first = _pending(rt)
    with pytest.raises(ApprovalError, match="may not decide"):
        rt.gateway.decide_approval(first, auth.token("intern"), approve=True)
    rt.gateway.decide_approval(first, auth.cli(rt.policy), approve=False, note="card 4111 1111 1111 1111")
    second = _pending(rt, args={**ARGS, "version": 5})
    rt.gateway.decide_approval(second, auth.slack("U0APPROVER9"), approve=True)
    records = [r for r in rt.audit.tail(50) if r.kind == "approval"]
    assert [(r.approval_id, r.principal, r.decision, r.outcome) for r in records] == [
        (first, "token:intern", "approve", "refused"),
        (first, "user:lead", "denied", "ok"),
        (second, "slack:U0APPROVER9", "approved", "ok"),
    ]
    digests = {
        first: rt.approvals.get(first).arguments_digest,
        second: rt.approvals.get(second).arguments_digest,
    }
    for rec in records:
        assert rec.approver == rec.principal and digests[rec.approval_id] in rec.arguments
    assert "4111 1111 1111 1111" not in records[1].reason  # the note is redacted
    assert '"via":"slack"' in records[2].arguments and rt.audit.verify().ok


# --- approval rows edited in the database ----------------------------------------------------------


def test_status_flipped_in_sql_does_not_let_the_call_run(rt, world):
    approval_id = _pending(rt)
    _sql(rt, "UPDATE approvals SET status='approved', decided_by='user:lead' WHERE id=:id", id=approval_id)
    assert not rt.approvals.get(approval_id).intact
    with pytest.raises(ApprovalInvalid, match="fails verification"):
        rt.gateway.call(PROMOTION, "mlflow.set_alias", ARGS, approval_id=approval_id)
    assert world.aliases[("fraud-scorer", "champion")] == 3
    last = rt.audit.tail(1)[0]
    assert (last.outcome, last.approval_id) == ("approval_invalid", approval_id)
    assert "changed in the database" in last.reason


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("decided_by", "user:someone-else"),
        ("arguments_digest", "0" * 64),
        ("requested_by", "user:someone"),
        ("approvers", '["user:attacker"]'),
    ],
)
def test_any_edit_of_a_decided_approval_is_refused(rt, auth, world, column, value):
    approval_id = _pending(rt)
    rt.gateway.decide_approval(approval_id, auth.slack("U0APPROVER1"), approve=True)
    _sql(rt, f"UPDATE approvals SET {column}=:v WHERE id=:id", v=value, id=approval_id)
    with pytest.raises(ApprovalInvalid, match="fails verification"):
        rt.gateway.call(PROMOTION, "mlflow.set_alias", ARGS, approval_id=approval_id)
    assert world.aliases[("fraud-scorer", "champion")] == 3


def test_extended_expiry_and_pending_edits_are_refused(rt, auth):
    expired = _pending(rt)
    _sql(
        rt,
        "UPDATE approvals SET expires_at=:t WHERE id=:id",
        t=datetime.now(UTC) + timedelta(days=30),
        id=expired,
    )
    with pytest.raises(ApprovalError, match="fails verification"):
        rt.gateway.decide_approval(expired, auth.slack("U0APPROVER1"), approve=True)
    widened = _pending(rt, args={**ARGS, "version": 6})
    _sql(rt, "UPDATE approvals SET approvers='[\"token:intern\"]' WHERE id=:id", id=widened)
    with pytest.raises(ApprovalError, match="fails verification"):
        rt.gateway.decide_approval(widened, auth.token("intern"), approve=True)


def test_a_used_approval_set_back_to_approved_is_not_spent_twice(rt, auth, world):
    approval_id = _pending(rt)
    rt.gateway.decide_approval(approval_id, auth.slack("U0APPROVER1"), approve=True)
    with rt.db.engine.connect() as conn:
        signed = conn.execute(
            text("SELECT status, mac FROM approvals WHERE id=:id"), {"id": approval_id}
        ).one()
    rt.gateway.call(PROMOTION, "mlflow.set_alias", ARGS, approval_id=approval_id)
    world.aliases[("fraud-scorer", "champion")] = 3  # someone moved it back
    # replay: restore the row exactly as it was when approved (status and its genuine MAC)
    _sql(rt, "UPDATE approvals SET status=:s, mac=:m WHERE id=:id", s=signed[0], m=signed[1], id=approval_id)
    with pytest.raises(ApprovalInvalid, match="already spent"):
        rt.gateway.call(PROMOTION, "mlflow.set_alias", ARGS, approval_id=approval_id)
    assert world.aliases[("fraud-scorer", "champion")] == 3


def test_a_store_with_another_key_cannot_verify(rt):
    approval_id = _pending(rt)
    other = ApprovalStore(rt.db, b"another-key-0123456789abcdef")
    assert not other.get(approval_id).intact
    key_file = rt.settings.state_dir / "approval.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


# --- aliases ----------------------------------------------------------------------------------------


def test_unknown_alias_is_production_and_needs_approval(rt, world):
    for alias in ("blue", "canary-2", "Champion"):
        with pytest.raises(ApprovalRequired):
            rt.gateway.call(PROMOTION, "mlflow.set_alias", {**ARGS, "alias": alias})
    assert world.aliases == {("fraud-scorer", "champion"): 3}  # none of them ran
    rt.gateway.call(PROMOTION, "mlflow.set_alias", {**ARGS, "alias": "staging"})  # known, below production
    assert world.aliases[("fraud-scorer", "staging")] == 4


def test_the_alias_map_is_configuration():
    policy = Policy.load()
    assert policy.environment_of_alias("champion") == "production"
    assert policy.environment_of_alias("staging") == "staging"
    assert policy.environment_of_alias("never-heard-of-it") == "production"
    custom = Policy(
        PolicyFile.model_validate(
            {"rules": [], "environments": {"aliases": {"Blue": "staging", "sandbox": "dev"}}}
        )
    )
    assert (
        custom.environment_of_alias("blue") == "staging" and custom.environment_of_alias("SANDBOX") == "dev"
    )
    assert custom.environment_of_alias("champion") == "production"


# --- the CLI, as the attacker would use it ---------------------------------------------------------


def _cli(rt: Any, *args: str, policy: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    exe = os.path.join(os.path.dirname(sys.executable), "referent")
    environ = {
        **os.environ,
        "REFERENT_DATABASE_URL": rt.db.url,
        "REFERENT_STATE_DIR": str(rt.settings.state_dir),
        "REFERENT_POLICY_FILE": str(policy or rt.settings.policy_file),
        "REFERENT_PSEUDONYM_KEY": rt.settings.pseudonym_key.get_secret_value(),
        "REFERENT_REDACTION_NLP": "false",
        **env,
    }
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=120, env=environ)


def test_cli_refuses_forged_and_unmapped_approvers(rt, tmp_path):
    approval_id = _pending(rt)
    for forged in ("group:approvers", "slack:U0APPROVER*", "user:someone-else"):
        out = _cli(rt, "approvals", "approve", approval_id, "--as", forged)
        assert out.returncode == 2, out.stderr
    unmapped = tmp_path / "unmapped.yaml"
    unmapped.write_text(Path(str(rt.settings.policy_file)).read_text().split("cli_users:")[0])
    out = _cli(rt, "approvals", "approve", approval_id, policy=unmapped, USER="lead", LOGNAME="lead")
    assert out.returncode == 2 and "not mapped" in out.stderr
    assert rt.approvals.get(approval_id).status.value == "pending"


def test_cli_approves_as_the_mapped_os_account(rt, world):
    approval_id = _pending(rt)
    out = _cli(rt, "approvals", "approve", approval_id, "--note", "canary green")
    assert out.returncode == 0, out.stderr
    assert "approved by user:lead" in out.stdout
    rt.gateway.call(PROMOTION, "mlflow.set_alias", ARGS, approval_id=approval_id)
    assert world.aliases[("fraud-scorer", "champion")] == 4
    assert (
        _cli(rt, "policy", "check", "--principal", "group:approvers", "--tool", "logs.search").returncode == 2
    )


def test_authentication_evidence_is_checked():
    import hashlib
    import hmac
    import time

    secret = SecretStr("a-signing-secret-0123456789")
    body = b"command=%2Freferent&user_id=U0APPROVER1&text=approve"
    ts = str(int(time.time()))
    good = (
        "v0="
        + hmac.new(
            b"a-signing-secret-0123456789", b"v0:" + ts.encode() + b":" + body, hashlib.sha256
        ).hexdigest()
    )
    assert (
        slack_identity(signing_secret=secret, timestamp=ts, signature=good, body=body).principal
        == "slack:U0APPROVER1"
    )
    forged_body = body.replace(b"U0APPROVER1", b"U0APPROVER2")
    for kwargs in (
        {"timestamp": ts, "signature": good, "body": forged_body},
        {"timestamp": ts, "signature": "v0=" + "0" * 64, "body": body},
        {"timestamp": str(int(ts) - 600), "signature": good, "body": body},
    ):
        with pytest.raises(NotAuthenticated):
            slack_identity(signing_secret=secret, **kwargs)  # type: ignore[arg-type]
    digest = hashlib.sha256(b"the-real-token-0123456789").hexdigest()
    assert (
        token_identity("the-real-token-0123456789", {digest: "release-manager"}).principal
        == "token:release-manager"
    )
    with pytest.raises(NotAuthenticated):
        token_identity("a-guessed-token", {digest: "release-manager"})
