"""The real LLM client (``ChatLiteLLM`` through langchain-litellm) is constructed and driven down each
agent's LLM path while model requests are blocked: a missing import or a broken construction fails
here, and the call itself fails with the blocked error (it never reaches a network)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from pydantic import SecretStr

from agents.deps import AgentDeps
from agents.llm import ModelRequestsBlocked, make_chat_model
from agents.promotion.models import PromotionReport
from agents.promotion.summary import llm_summary
from agents.runbook.graph import run_runbooks
from agents.runbook.rules import load_rules, pick
from agents.settings import LLMSettings
from guardrails.calls import CallContext

SETTINGS = LLMSettings(
    model="openai/some-model", api_base="http://127.0.0.1:9/v1", api_key=SecretStr("sk-test-not-a-real-key")
)
RULES = Path(__file__).resolve().parents[2] / "evals" / "data" / "alert-rules" / "awesome-prometheus-alerts"


@pytest.fixture
def bare_runtime(tmp_path: Path) -> Iterator[Any]:
    from guardrails.factory import build_runtime
    from guardrails.settings import GuardrailSettings
    from tools.settings import PlatformSettings

    rt = build_runtime(
        GuardrailSettings(state_dir=tmp_path, pseudonym_key=SecretStr("k" * 32), redaction_nlp=False),
        PlatformSettings(runbooks_dir=tmp_path / "library"),
    )
    try:
        yield rt
    finally:
        rt.close()


def real_deps(rt: Any, principal: str) -> AgentDeps:
    chat = make_chat_model(SETTINGS)
    ctx = CallContext(principal, f"real-{uuid.uuid4().hex[:8]}")
    return AgentDeps(gateway=rt.gateway, ctx=ctx, chat=chat, llm=SETTINGS)


def test_real_client_is_constructed_from_settings() -> None:
    from langchain_litellm import ChatLiteLLM

    chat = make_chat_model(SETTINGS)
    assert isinstance(chat, ChatLiteLLM) and isinstance(chat, BaseChatModel)
    assert chat.model == "openai/some-model" and chat.api_base == "http://127.0.0.1:9/v1"
    assert chat.request_timeout == SETTINGS.timeout_s and chat.max_retries == 0
    assert make_chat_model(LLMSettings()) is None


def test_guarded_real_client_call_is_blocked(bare_runtime: Any) -> None:
    chat = real_deps(bare_runtime, "agent:triage").guarded_chat()
    assert chat is not None
    with pytest.raises(ModelRequestsBlocked, match="ChatLiteLLM"):
        chat.invoke([HumanMessage("hello")])


def test_promotion_summary_path_is_blocked(bare_runtime: Any) -> None:
    report = PromotionReport(
        run_id="r",
        model="fraud-scorer",
        version="5",
        target="staging",
        alias="challenger",
        decision="promote",
        generated_at=datetime(2026, 1, 1),
    )
    with pytest.raises(ModelRequestsBlocked):
        llm_summary(real_deps(bare_runtime, "agent:promotion"), report, {"E1": "metrics of v5"})


def test_runbook_path_is_blocked(bare_runtime: Any) -> None:
    rules = pick(load_rules(RULES / "kubernetes" / "kubestate-exporter.yml"), "KubernetesNodeNotReady")
    with pytest.raises(ModelRequestsBlocked):
        run_runbooks(real_deps(bare_runtime, "agent:runbook"), rules, store=False, server_check=False)


@pytest.mark.integration
def test_triage_and_rightsizing_paths_are_blocked(demo_sandbox: dict[str, Any], runtime: Any) -> None:
    from agents.rightsizing.graph import run_rightsizing
    from agents.triage import run_triage
    from evals.worlds import load_world

    incident = next(i for i in load_world("demo").incidents if i.alert is not None)
    assert incident.alert is not None
    alert = {"labels": {"alertname": incident.alert.alertname, **incident.alert.labels}}
    with pytest.raises(ModelRequestsBlocked):
        run_triage(real_deps(runtime, "agent:triage"), alert)
    with pytest.raises(ModelRequestsBlocked):
        run_rightsizing(real_deps(runtime, "agent:rightsizing"), workload="ledger-writer", window_days=2)
