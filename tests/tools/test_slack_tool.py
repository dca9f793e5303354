"""The Slack tool through the real gateway, against the local recorder standing in for Slack's Web API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from evals.sandbox.slack_recorder import SlackRecorder
from guardrails.errors import PolicyDenied, ToolFailed
from guardrails.factory import Runtime, build_runtime
from guardrails.gateway import CallContext
from guardrails.settings import GuardrailSettings
from tools.settings import PlatformSettings

KEY = "test-pseudonym-key-0123456789abcdef"
TOKEN = "xoxb-test-recorder-token"
CPF = "529.982.247-25"
AGENT = CallContext("agent:triage", "run-slack-1")


def _runtime(tmp_path: Path, **platform: Any) -> Runtime:
    return build_runtime(
        GuardrailSettings(state_dir=tmp_path, pseudonym_key=SecretStr(KEY), redaction_nlp=False),
        PlatformSettings(**platform),
    )


@pytest.fixture
def recorder() -> Iterator[SlackRecorder]:
    with SlackRecorder(token=TOKEN) as rec:
        yield rec


@pytest.fixture
def rt(tmp_path: Path, recorder: SlackRecorder) -> Iterator[Runtime]:
    runtime = _runtime(
        tmp_path, slack_bot_token=SecretStr(TOKEN), slack_api_url=recorder.api_url, slack_channel="C0REPORTS"
    )
    yield runtime
    runtime.close()


def test_post_is_redacted_before_it_leaves_and_audited(rt: Runtime, recorder: SlackRecorder) -> None:
    text = f"chargeback for customer cpf {CPF} on pod fraud-scorer-7f9c-0"
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    result = rt.gateway.call(AGENT, "slack.post_message", {"text": text, "blocks": blocks})
    [sent] = recorder.requests("chat.postMessage")
    wire = json.dumps(sent["body"])
    assert CPF not in wire and "52998224725" not in wire
    assert "fraud-scorer-7f9c-0" in wire  # operational evidence survives redaction
    assert sent["body"]["channel"] == "C0REPORTS" and sent["authorized"]
    assert result.data["channel"] == "C0REPORTS" and result.data["ts"]
    [rec] = rt.audit.tail(1)
    assert (rec.principal, rec.tool, rec.decision, rec.outcome) == (
        "agent:triage",
        "slack.post_message",
        "allow",
        "ok",
    )
    assert CPF not in json.dumps(rec.arguments)


def test_thread_reply_and_update(rt: Runtime, recorder: SlackRecorder) -> None:
    parent = rt.gateway.call(AGENT, "slack.post_message", {"channel": "C0INC", "text": "incident opened"})
    ts = parent.data["ts"]
    rt.gateway.call(AGENT, "slack.post_message", {"channel": "C0INC", "text": "triage", "thread_ts": ts})
    updated = rt.gateway.call(
        AGENT, "slack.update_message", {"channel": "C0INC", "ts": ts, "text": f"resolved ({CPF})"}
    )
    assert updated.data == {"channel": "C0INC", "ts": ts}
    posts = recorder.requests("chat.postMessage")
    assert [p["body"].get("thread_ts") for p in posts] == [None, ts]
    [update] = recorder.requests("chat.update")
    assert update["body"]["ts"] == ts and CPF not in update["body"]["text"]


def test_humans_cannot_post_as_the_bot(rt: Runtime, recorder: SlackRecorder) -> None:
    with pytest.raises(PolicyDenied):
        rt.gateway.call(CallContext("slack:U0RANDOM", "r"), "slack.post_message", {"text": "hi"})
    assert recorder.requests() == []
    assert rt.audit.tail(1)[0].decision == "deny"


@pytest.mark.parametrize(
    ("error", "failure"),
    [("channel_not_found", "not_found"), ("invalid_blocks", "bad_input"), ("ratelimited", "unavailable")],
)
def test_slack_errors_are_typed(rt: Runtime, recorder: SlackRecorder, error: str, failure: str) -> None:
    recorder.fail_with("chat.postMessage", error)
    with pytest.raises(ToolFailed) as err:
        rt.gateway.call(AGENT, "slack.post_message", {"text": "x"})
    assert (err.value.failure, err.value.source, err.value.message) == (failure, "slack", error)
    assert rt.audit.tail(1)[0].outcome == f"error:{failure}"


def test_wrong_token_is_an_auth_error(tmp_path: Path, recorder: SlackRecorder) -> None:
    runtime = _runtime(
        tmp_path, slack_bot_token=SecretStr("xoxb-wrong"), slack_api_url=recorder.api_url, slack_channel="C1"
    )
    try:
        with pytest.raises(ToolFailed) as err:
            runtime.gateway.call(AGENT, "slack.post_message", {"text": "x"})
    finally:
        runtime.close()
    assert err.value.failure == "auth"


def test_unconfigured_and_unreachable(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path / "a")
    try:
        with pytest.raises(ToolFailed) as err:
            runtime.gateway.call(AGENT, "slack.post_message", {"channel": "C1", "text": "x"})
    finally:
        runtime.close()
    assert err.value.failure == "unavailable" and "REFERENT_SLACK_BOT_TOKEN" in err.value.message
    with SlackRecorder() as gone:
        url = gone.api_url
    runtime = _runtime(tmp_path / "b", slack_bot_token=SecretStr(TOKEN), slack_api_url=url)
    try:
        with pytest.raises(ToolFailed) as err:
            runtime.gateway.call(AGENT, "slack.post_message", {"channel": "C1", "text": "x"})
        assert err.value.failure == "unavailable"
        with pytest.raises(ToolFailed) as err:  # no channel in the call and none configured
            runtime.gateway.call(AGENT, "slack.post_message", {"text": "x"})
        assert err.value.failure == "bad_input"
    finally:
        runtime.close()


def test_recorder_runs_as_its_own_process(tmp_path: Path) -> None:
    """``python -m evals.sandbox.slack_recorder`` (how ``make demo`` starts it): URLs on stdout,
    Slack-shaped answers, every request in ``GET /_recorded`` and in the record file."""
    import os
    import signal
    import subprocess
    import sys

    import httpx
    from slack_sdk import WebClient

    record = tmp_path / "slack.jsonl"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "evals.sandbox.slack_recorder",
            "--token",
            TOKEN,
            "--record-file",
            str(record),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        urls = json.loads(proc.stdout.readline())
        client = WebClient(token=TOKEN, base_url=urls["api_url"])
        assert client.auth_test()["user_id"] == "U0REFERENT"
        sent = client.chat_postMessage(channel="C0DEMO", text="hello")
        assert sent["channel"] == "C0DEMO" and sent["ts"]
        recorded = httpx.get(urls["base_url"] + "_recorded", timeout=5).json()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    assert [r["method"] for r in recorded] == ["auth.test", "chat.postMessage"]
    assert [json.loads(line)["method"] for line in record.read_text().splitlines()] == [
        "auth.test",
        "chat.postMessage",
    ]
