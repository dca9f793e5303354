"""The shared LLM tool loop (agents/llm.py) on a real gateway with small local tools and scripted models:
offered tools follow the policy, every requested call is audited (unknown and unoffered names as
denied), failures and garbage end with a reason, and only scripted models pass the test switch."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from pydantic import BaseModel, Field, SecretStr

from agents.deps import AgentDeps
from agents.evidence import compact
from agents.llm import Answer, ModelRequestsBlocked, offered_tools
from agents.llm_format import compact_schema
from agents.settings import LLMSettings
from agents.testing import ScriptedChatModel, tool_call
from guardrails.calls import CallContext
from tools.base import ActionClass, ToolSpec


class Series(BaseModel):
    name: str = Field(description="series name")


class SetAlias(BaseModel):
    model: str
    alias: str
    version: int


class Claim(BaseModel):
    text: str
    evidence_ids: list[str] = Field(default_factory=list)


class Verdict(Answer):
    claims_field: ClassVar[str | None] = "claims"

    summary: str
    claims: list[Claim] = Field(default_factory=list)


def _series(args: Series) -> dict[str, Any]:
    return {"name": args.name, "points": [[i, i * 0.123456789] for i in range(500)]}


SPECS = [
    ToolSpec(
        "prometheus.series", "Return one series by name.", Series, ActionClass.READ, _series, "prometheus"
    ),
    ToolSpec("mlflow.set_alias", "Move an alias.", SetAlias, ActionClass.WRITE, lambda a: {}, "mlflow"),
]


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Any]:
    from guardrails.factory import build_runtime
    from guardrails.settings import GuardrailSettings

    runtime = build_runtime(
        GuardrailSettings(state_dir=tmp_path, pseudonym_key=SecretStr("test-pseudonym-key-0123456789abcdef")),
        extra_specs=SPECS,
        register_platform_tools=False,
    )
    try:
        yield runtime
    finally:
        runtime.close()


def deps_for(rt: Any, chat: Any, **llm: Any) -> AgentDeps:
    return AgentDeps(
        gateway=rt.gateway, ctx=CallContext("agent:triage", "run-loop"), chat=chat, llm=LLMSettings(**llm)
    )


def ask(deps: AgentDeps, known: set[str] | None = None) -> Any:
    return deps.ask_model(
        system="Judge.",
        user="Evidence: E1 a thing.",
        output=Verdict,
        sources=("prometheus.", "mlflow."),
        known=known,
    )


def submit(summary: str, *cited: list[str]) -> AIMessage:
    claims = [{"text": f"claim {i}", "evidence_ids": ids} for i, ids in enumerate(cited)]
    return tool_call("submit", {"summary": summary, "claims": claims}, call_id="s1")


def test_offered_tools_follow_the_policy(rt: Any) -> None:
    triage = offered_tools(rt.gateway, CallContext("agent:triage", "r"), ("prometheus.", "mlflow."))
    assert [s.name for s in triage] == ["prometheus.series"]  # the write is denied to agent:triage
    stranger = offered_tools(rt.gateway, CallContext("user:nobody", "r"), ("prometheus.",))
    assert stranger == []


def test_unoffered_and_unknown_tools_are_audited_as_denied_and_returned_as_errors(rt: Any) -> None:
    def both(_: list[BaseMessage]) -> AIMessage:
        return AIMessage(
            content="",
            tool_calls=[
                {
                    "name": "mlflow__set_alias",
                    "args": {"model": "m", "alias": "champion", "version": 1},
                    "id": "a",
                },
                {"name": "shell__exec", "args": {"cmd": "rm -rf /"}, "id": "b"},
                {"name": "prometheus__series", "args": {"name": "up"}, "id": "c"},
            ],
        )

    model = ScriptedChatModel(script=[both, lambda msgs: submit("done", [_last_id(msgs)])])
    outcome = ask(deps_for(rt, model))
    assert outcome.answer is not None and outcome.mode == "llm"
    assert outcome.stats.rejected_calls == 2 and outcome.stats.tool_calls == 1
    records = rt.audit.tail(50, run_id="run-loop")
    by_tool = {r.tool: (r.decision, r.outcome) for r in records if r.kind == "tool"}
    assert by_tool == {
        "mlflow.set_alias": ("deny", "denied"),
        "shell.exec": ("deny", "denied"),
        "prometheus.series": ("allow", "ok"),
    }
    unknown = next(r for r in records if r.tool == "shell.exec")
    assert unknown.action == "destructive" and "registered" in unknown.reason
    errors = [str(m.content) for m in model.received[1] if isinstance(m, ToolMessage)]
    assert errors[0].startswith("ERROR denied") and errors[1].startswith("ERROR denied")
    offered = {t["function"]["name"] for t in model.bound_tools}
    assert offered == {"prometheus__series", "submit"}


def _last_id(messages: list[BaseMessage]) -> str:
    last = [m for m in messages if isinstance(m, ToolMessage)][-1]
    return str(last.content).split(" ", 1)[0]


def test_tool_results_reach_the_model_compact_and_become_evidence(rt: Any) -> None:
    model = ScriptedChatModel(
        script=[tool_call("prometheus.series", {"name": "up"}), lambda msgs: submit("ok", [_last_id(msgs)])]
    )
    outcome = ask(deps_for(rt, model))
    result = next(m for m in model.received[1] if isinstance(m, ToolMessage))
    assert len(str(result.content)) < 1400 and "(+495 more)" in str(result.content)
    assert [e.tool for e in outcome.evidence] == ["prometheus.series"]
    assert outcome.answer is not None and outcome.answer.claims[0].evidence_ids == [outcome.evidence[0].id]


def test_timeout_ends_with_the_reason_not_a_traceback(rt: Any) -> None:
    def hang(_: list[BaseMessage]) -> AIMessage:
        raise TimeoutError("read timed out")

    outcome = ask(deps_for(rt, ScriptedChatModel(script=[hang]), timeout_s=60))
    assert outcome.answer is None
    assert outcome.mode == "deterministic (model failed: timeout after 60 s)"
    llm_calls = [r for r in rt.audit.tail(10, run_id="run-loop") if r.kind == "llm"]
    assert [r.outcome for r in llm_calls] == ["error:unavailable"]


def test_model_error_is_named(rt: Any) -> None:
    def boom(_: list[BaseMessage]) -> AIMessage:
        raise ConnectionError("connection refused")

    outcome = ask(deps_for(rt, ScriptedChatModel(script=[boom])))
    assert outcome.mode == "deterministic (model failed: ConnectionError: connection refused)"


def test_prose_reply_gets_one_request_that_must_submit(rt: Any) -> None:
    model = ScriptedChatModel(script=[AIMessage(content="I think it is fine."), submit("fine")])
    outcome = ask(deps_for(rt, model))
    assert outcome.answer is not None and outcome.answer.summary == "fine"
    assert outcome.stats.stop_reason == "final submit" and outcome.stats.rounds == 2
    assert model.tool_choices == ["auto", "submit"]
    assert "submit" in str(model.received[-1][-1].content)


def test_json_text_answer_is_accepted(rt: Any) -> None:
    model = ScriptedChatModel(script=[AIMessage(content='Here: {"summary": "fine", "claims": []}')])
    outcome = ask(deps_for(rt, model))
    assert outcome.answer is not None and outcome.stats.stop_reason == "answered"


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        (AIMessage(content="no idea, sorry"), "invalid answer (no JSON object in the reply)"),
        (AIMessage(content='{"summary": "x", "claims": [}'), "invalid answer"),
        (AIMessage(content='{"claims": "many"}'), "answer does not match the schema"),
        (submit("made up", ["E404"], ["E405", "E1"]), "all 2 claims cite evidence the run does not hold"),
    ],
)
def test_garbage_ends_in_failure_with_the_reason(rt: Any, reply: AIMessage, why: str) -> None:
    outcome = ask(deps_for(rt, ScriptedChatModel(script=[reply]), max_tool_rounds=1), known={"E1"})
    assert outcome.answer is None
    assert outcome.mode.startswith(f"deterministic (model failed: {why}")


def test_claims_citing_unknown_ids_are_dropped_and_counted(rt: Any) -> None:
    outcome = ask(deps_for(rt, ScriptedChatModel(script=[submit("s", ["E1"], ["E9"], [])])), known={"E1"})
    assert outcome.answer is not None and [c.evidence_ids for c in outcome.answer.claims] == [["E1"]]
    assert outcome.stats.dropped_claims == 2


def test_switch_keys_on_the_model_class(rt: Any) -> None:
    """Any chat model that is not a scripted test model is refused while requests are blocked."""
    other = FakeListChatModel(responses=['{"summary": "x"}'])
    with pytest.raises(ModelRequestsBlocked, match="FakeListChatModel"):
        ask(deps_for(rt, other))
    assert not [r for r in rt.audit.tail(10, run_id="run-loop") if r.kind == "llm"]  # nothing left


def test_compact_schema_and_data_stay_small() -> None:
    schema = compact_schema(Verdict)
    text = json.dumps(schema)
    assert "$ref" not in text and "title" not in text and "claims_field" not in text
    assert schema["properties"]["claims"]["items"]["properties"]["evidence_ids"]["type"] == "array"
    from agents.triage.llm_mode import TriageAnswer

    hypothesis = compact_schema(TriageAnswer)["properties"]["hypotheses"]["items"]
    assert "title" in hypothesis["properties"] and set(hypothesis["required"]) <= set(
        hypothesis["properties"]
    )
    assert hypothesis["properties"]["culprit"]["properties"]["version"] == {"type": "string"}
    assert len(compact({"values": list(range(10_000)), "f": 1 / 3}, 200)) <= 200


def test_run_deadline_caps_the_model_call(rt: Any) -> None:
    import time

    model = ScriptedChatModel(script=[submit("ok")])
    soon = AgentDeps(
        gateway=rt.gateway,
        ctx=CallContext("agent:triage", "run-loop", deadline=time.monotonic() + 30),
        chat=model,
        llm=LLMSettings(timeout_s=60),
    )
    assert ask(soon).answer is not None
    assert 20 < model.call_kwargs[0]["timeout"] <= 30  # capped at what the run has left
    late = AgentDeps(
        gateway=rt.gateway, ctx=CallContext("agent:triage", "run-late", deadline=time.monotonic()), chat=model
    )
    assert (
        ask(late).mode == "deterministic (model failed: the run's deadline passed before the model was asked)"
    )
