"""Unit tests of the promotion report's rendering and of the LLM summary's citation check (no servers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import SecretStr

from agents.deps import AgentDeps
from agents.promotion.models import GateResult, GateStatus, PromotionReport
from agents.promotion.render import APPROVE_ACTION, DENY_ACTION, to_markdown, to_slack_blocks
from agents.promotion.summary import deterministic_summary, llm_summary
from agents.testing import ScriptedChatModel, tool_call
from guardrails.gateway import CallContext


def report(**kw: Any) -> PromotionReport:
    base: dict[str, Any] = dict(
        run_id="r1",
        model="fraud-scorer",
        version="5",
        target="production",
        alias="champion",
        decision="promote",
        gates=[
            GateResult(gate="metrics", status=GateStatus.PASS, why="ok", evidence=["E1"]),
            GateResult(gate="canary_slo", status=GateStatus.SKIP, why="no traffic"),
        ],
        reasons=["all good"],
        approval_id="abc123",
        approval_status="pending",
        previous_champion="4",
    )
    base.update(kw)
    return PromotionReport(**base)


def test_pending_report_has_approve_and_deny_buttons() -> None:
    blocks = to_slack_blocks(report())
    actions = [b for b in blocks if b["type"] == "actions"]
    assert len(actions) == 1
    assert [(e["action_id"], e["value"]) for e in actions[0]["elements"]] == [
        (APPROVE_ACTION, "abc123"),
        (DENY_ACTION, "abc123"),
    ]
    md = to_markdown(report())
    assert "WAITING for approval" in md and "referent promote --resume r1" in md
    assert "referent approvals approve abc123" in md


def test_finished_report_has_no_buttons_and_a_rollback_hint() -> None:
    done = report(approval_status="approved", approved_by="user:ml-lead", alias_moved=True)
    assert not [b for b in to_slack_blocks(done) if b["type"] == "actions"]
    md = to_markdown(done)
    assert (
        "DONE: alias moved" in md and "referent rollback fraud-scorer --alias champion" in md and "v4" in md
    )


def test_blocked_report_lists_failed_gates() -> None:
    blocked = report(
        decision="block",
        approval_id=None,
        approval_status="not_needed",
        gates=[GateResult(gate="signature", status=GateStatus.FAIL, why="new required input x")],
    )
    md = to_markdown(blocked)
    assert "BLOCKED" in md and "| signature | ❌ fail | new required input x |" in md
    assert "signature (new required input x)" in deterministic_summary(blocked)


def test_llm_summary_drops_claims_citing_unknown_evidence(tmp_path: Path) -> None:
    from guardrails.factory import build_runtime
    from guardrails.settings import GuardrailSettings

    rt = build_runtime(
        GuardrailSettings(state_dir=tmp_path, pseudonym_key=SecretStr("k" * 32)),
        register_platform_tools=False,
    )
    chat = ScriptedChatModel(
        script=[
            tool_call(
                "submit",
                {
                    "summary": "Safe to promote.",
                    "claims": [
                        {"text": "metrics better", "evidence_ids": ["E1"]},
                        {"text": "invented", "evidence_ids": ["E99"]},
                        {"text": "uncited", "evidence_ids": []},
                    ],
                },
            )
        ]
    )
    deps = AgentDeps(gateway=rt.gateway, ctx=CallContext("agent:promotion", "r1"), chat=chat)
    written = report()
    try:
        llm_summary(deps, written, {"E1": "metrics of v5"})
    finally:
        rt.close()
    assert written.mode == "llm" and written.dropped_claims == 2
    assert "metrics better [E1]" in written.summary and "invented" not in written.summary
