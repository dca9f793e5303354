"""The gateway end to end on a real store: policy, approvals, budgets, timeouts, redaction, audit."""

from __future__ import annotations

import logging

import pytest

from guardrails.errors import (
    ApprovalInvalid,
    ApprovalRequired,
    BudgetExceeded,
    InvalidArguments,
    PolicyDenied,
    ToolFailed,
    UnknownTool,
)
from guardrails.gateway import CallContext, LLMReply

TRIAGE = CallContext("agent:triage", "run-1")
PROMOTION = CallContext("agent:promotion", "run-2")


def test_allowed_read_is_redacted_and_audited(rt, world):
    result = rt.gateway.call(TRIAGE, "logs.search", {"namespace": "ml-serving"})
    text = "\n".join(result.data["lines"])
    assert "4111 1111 1111 1111" not in text and "529.982.247-25" not in text
    assert "ana.souza@example.com.br" not in text
    # operational evidence survives
    assert (
        "4bf92f3577b34da6a3ce929d0e0e4736" in text
        and "fraud-scorer-7f9c-0" in text
        and "latency_ms=41" in text
    )
    assert result.evidence_id == "E1"
    [rec] = rt.audit.tail(1)
    assert (rec.tool, rec.decision, rec.outcome, rec.principal) == (
        "logs.search",
        "allow",
        "ok",
        "agent:triage",
    )
    assert rec.result_digest and len(rec.result_digest) == 64


def test_default_deny_for_unlisted_write(rt, world):
    with pytest.raises(PolicyDenied) as err:
        rt.gateway.call(
            TRIAGE, "mlflow.set_alias", {"model": "fraud-scorer", "alias": "champion", "version": 1}
        )
    assert "default deny" in err.value.message
    assert world.aliases[("fraud-scorer", "champion")] == 3
    assert rt.audit.tail(1)[0].decision == "deny"


def test_injection_in_tool_output_cannot_yield_a_write(rt, world):
    """A log line telling the model to move the production alias: the model may ask, the policy says no."""
    result = rt.gateway.call(TRIAGE, "logs.search", {"namespace": "ml-serving"})
    assert any("IGNORE PREVIOUS INSTRUCTIONS" in line for line in result.data["lines"])
    # the obedient model now asks for the write with the triage agent's identity
    with pytest.raises(PolicyDenied):
        rt.gateway.call(
            TRIAGE, "mlflow.set_alias", {"model": "fraud-scorer", "alias": "champion", "version": 1}
        )
    assert world.aliases[("fraud-scorer", "champion")] == 3


def test_argument_constraints(rt):
    with pytest.raises(PolicyDenied) as err:
        rt.gateway.call(
            PROMOTION, "mlflow.set_alias", {"model": "ledger-model", "alias": "staging", "version": 2}
        )
    assert "outside rule" in err.value.message


def test_staging_write_allowed(rt, world):
    rt.gateway.call(
        PROMOTION, "mlflow.set_alias", {"model": "fraud-scorer", "alias": "staging", "version": 4}
    )
    assert world.aliases[("fraud-scorer", "staging")] == 4


def test_production_write_waits_for_approval_then_goes_through(rt, world, auth):
    args = {"model": "fraud-scorer", "alias": "champion", "version": 4}
    with pytest.raises(ApprovalRequired) as pending:
        rt.gateway.call(PROMOTION, "mlflow.set_alias", args)
    approval_id = pending.value.approval_id
    assert world.aliases[("fraud-scorer", "champion")] == 3
    # retrying before a decision does not pass
    with pytest.raises(ApprovalInvalid):
        rt.gateway.call(PROMOTION, "mlflow.set_alias", args, approval_id=approval_id)
    # the same pending approval is reused for the same call
    with pytest.raises(ApprovalRequired) as again:
        rt.gateway.call(PROMOTION, "mlflow.set_alias", args)
    assert again.value.approval_id == approval_id
    rt.gateway.decide_approval(approval_id, auth.slack("U0APPROVER7"), approve=True, note="canary green")
    rt.gateway.call(PROMOTION, "mlflow.set_alias", args, approval_id=approval_id)
    assert world.aliases[("fraud-scorer", "champion")] == 4
    rec = rt.audit.tail(1)[0]
    assert (rec.approver, rec.approval_id, rec.outcome) == ("slack:U0APPROVER7", approval_id, "ok")
    # an approval is spent once
    with pytest.raises(ApprovalInvalid):
        rt.gateway.call(PROMOTION, "mlflow.set_alias", args, approval_id=approval_id)


def test_approval_cannot_be_spent_on_other_arguments(rt, world, auth):
    args = {"model": "fraud-scorer", "alias": "champion", "version": 4}
    with pytest.raises(ApprovalRequired) as pending:
        rt.gateway.call(PROMOTION, "mlflow.set_alias", args)
    rt.gateway.decide_approval(pending.value.approval_id, auth.cli(rt.policy), approve=True)
    with pytest.raises(ApprovalInvalid):
        rt.gateway.call(
            PROMOTION, "mlflow.set_alias", {**args, "version": 1}, approval_id=pending.value.approval_id
        )
    assert world.aliases[("fraud-scorer", "champion")] == 3


def test_unauthorized_or_self_approval_refused(rt, auth):
    from guardrails.approvals import ApprovalError

    with pytest.raises(ApprovalRequired) as pending:
        rt.gateway.call(
            PROMOTION, "mlflow.set_alias", {"model": "fraud-scorer", "alias": "champion", "version": 4}
        )
    with pytest.raises(ApprovalError, match="may not decide"):
        rt.gateway.decide_approval(pending.value.approval_id, auth.token("intern"), approve=True)
    with pytest.raises(ApprovalError, match="unknown approval"):
        rt.gateway.decide_approval("nope", auth.cli(rt.policy), approve=True)


def test_denied_approval_blocks(rt, world, auth):
    args = {"model": "fraud-scorer", "alias": "champion", "version": 4}
    with pytest.raises(ApprovalRequired) as pending:
        rt.gateway.call(PROMOTION, "mlflow.set_alias", args)
    rt.gateway.decide_approval(
        pending.value.approval_id, auth.cli(rt.policy), approve=False, note="wait for canary"
    )
    with pytest.raises(ApprovalInvalid, match="denied"):
        rt.gateway.call(PROMOTION, "mlflow.set_alias", args, approval_id=pending.value.approval_id)
    assert world.aliases[("fraud-scorer", "champion")] == 3


def test_approval_expiry(rt):
    from datetime import timedelta

    rt.approvals.ttl = timedelta(seconds=-1)
    with pytest.raises(ApprovalRequired) as pending:
        rt.gateway.call(
            PROMOTION, "mlflow.set_alias", {"model": "fraud-scorer", "alias": "champion", "version": 4}
        )
    assert rt.approvals.get(pending.value.approval_id).status.value == "expired"


def test_typed_failures_are_audited(rt):
    with pytest.raises(ToolFailed) as down:
        rt.gateway.call(TRIAGE, "logs.down", {"namespace": "x"})
    assert (down.value.failure, down.value.source) == ("unavailable", "loki")
    with pytest.raises(ToolFailed) as slow:
        rt.gateway.call(TRIAGE, "logs.slow", {"namespace": "x"})
    assert slow.value.failure == "timeout"
    with pytest.raises(InvalidArguments):
        rt.gateway.call(TRIAGE, "logs.search", {"namespace": 5, "extra": {"password": "hunter2hunter2"}})
    with pytest.raises(UnknownTool):
        rt.gateway.call(TRIAGE, "logs.nope", {})
    outcomes = [r.outcome for r in rt.audit.tail(3)]
    assert outcomes == ["error:unavailable", "error:timeout", "bad_input"]
    assert "hunter2hunter2" not in rt.audit.tail(1)[0].arguments


def test_tool_call_budget(rt):
    tiny = CallContext("agent:tiny", "run-tiny")
    rt.gateway.call(tiny, "logs.search", {"namespace": "a"})
    rt.gateway.call(tiny, "logs.search", {"namespace": "a"})
    with pytest.raises(BudgetExceeded) as err:
        rt.gateway.call(tiny, "logs.search", {"namespace": "a"})
    assert err.value.budget == "tool_calls"


def test_llm_prompt_redacted_budgeted_and_audited(rt):
    tiny = CallContext("agent:tiny", "run-llm")
    seen: list[list[dict]] = []

    def invoke(messages):
        seen.append(messages)
        return LLMReply(content="ok", prompt_tokens=200, completion_tokens=50, cost_usd=0.002)

    prompt = [
        {"role": "user", "content": "cardholder=Maria Silva card 4111-1111-1111-1111 CPF 529.982.247-25"}
    ]
    rt.gateway.llm(tiny, "gpt-test", prompt, invoke)
    sent = seen[0][0]["content"]
    assert "4111-1111-1111-1111" not in sent and "529.982.247-25" not in sent
    rec = rt.audit.tail(1)[0]
    assert (rec.kind, rec.tokens, rec.cost_usd) == ("llm", 250, 0.002)
    with pytest.raises(BudgetExceeded):
        rt.gateway.llm(tiny, "gpt-test", prompt, invoke, estimated_tokens=100)


def test_a_run_resumed_in_another_process_keeps_its_budget_and_evidence_ids(rt, world):
    """A new gateway over the same store (a restarted worker) carries the run on from the audit log."""
    from guardrails.factory import build_runtime
    from tools.settings import PlatformSettings

    from .conftest import make_specs

    tiny = CallContext("agent:tiny", "run-resumed")
    assert rt.gateway.call(tiny, "logs.search", {"namespace": "a"}).evidence_id == "E1"
    with pytest.raises(ToolFailed):
        rt.gateway.call(tiny, "logs.down", {"namespace": "a"})  # charged, but no result: no evidence id
    rt.gateway.llm(
        tiny, "gpt-test", [{"role": "user", "content": "hi"}], lambda _: LLMReply("ok", 120, 30, 0.004)
    )

    other = build_runtime(
        rt.settings, PlatformSettings(), register_platform_tools=False, extra_specs=make_specs(world)
    )
    try:
        assert other.gateway.budget(tiny).snapshot()["tool_calls"] == 2
        assert (other.gateway.budget(tiny).llm_tokens, other.gateway.budget(tiny).cost_usd) == (150, 0.004)
        with pytest.raises(BudgetExceeded):  # agent:tiny may make 2 tool calls per run, in any process
            other.gateway.call(tiny, "logs.search", {"namespace": "a"})
        fresh = CallContext("agent:triage", "run-resumed-2")
        rt.gateway.call(fresh, "logs.search", {"namespace": "a"})
        assert other.gateway.call(fresh, "logs.search", {"namespace": "a"}).evidence_id == "E2"
    finally:
        other.close()


def test_evicted_run_state_is_rebuilt_from_the_audit_log(rt, world):
    """A server keeps only recent runs in memory; an older run picks up where it left off."""
    from guardrails.gateway import Gateway

    from .conftest import make_specs

    gw = Gateway(
        policy=rt.policy, audit=rt.audit, approvals=rt.approvals, redactor=rt.gateway.redactor, max_runs=1
    )
    gw.register_all(make_specs(world))
    a, b = CallContext("agent:tiny", "run-a"), CallContext("agent:triage", "run-b")
    assert gw.call(a, "logs.search", {"namespace": "x"}).evidence_id == "E1"
    assert gw.call(b, "logs.search", {"namespace": "x"}).evidence_id == "E1"  # evicts run-a
    assert gw.call(a, "logs.search", {"namespace": "x"}).evidence_id == "E2"
    with pytest.raises(BudgetExceeded):  # agent:tiny's two calls were counted across the eviction
        gw.call(a, "logs.search", {"namespace": "x"})
    gw.close()


def test_nothing_unredacted_reaches_audit_or_logs(rt, caplog):
    caplog.set_level(logging.DEBUG)
    secret_args = {"namespace": "ml-serving password=Sup3rS3cretValue! AKIAIOSFODNN7EXAMPLE"}
    rt.gateway.call(TRIAGE, "logs.search", secret_args)
    with pytest.raises(ToolFailed):
        rt.gateway.call(TRIAGE, "logs.down", secret_args)
    from sqlalchemy import text

    with rt.db.engine.connect() as conn:
        dump = "\n".join(str(row) for row in conn.execute(text("SELECT * FROM audit_records")))
    for raw in (
        "Sup3rS3cretValue!",
        "AKIAIOSFODNN7EXAMPLE",
        "4111 1111 1111 1111",
        "529.982.247-25",
        "ana.souza@example.com.br",
    ):
        assert raw not in dump
        assert raw not in caplog.text


def test_metric_values_survive_redaction(rt):
    """A float whose fractional digits pass Luhn is a metric value, not a card."""
    data = rt.gateway.redactor.redact_obj(
        {"psi": 0.4111111111111111, "text": "score=0.4111111111111111"}, "s"
    )
    assert data == {"psi": 0.4111111111111111, "text": "score=0.4111111111111111"}
    assert "<CREDIT_CARD" in rt.gateway.redactor.redact_text("pan 4111111111111111", "s")
