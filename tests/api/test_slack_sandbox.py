"""``/referent rightsize`` on the demo world's real Prometheus and billing: by namespace (the agent's
Block Kit report) and by team (the team's workloads of a full run), answered in the channel."""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from evals.sandbox.slack_recorder import SlackRecorder, signed_headers
from tools.settings import PlatformSettings

pytestmark = pytest.mark.integration

SECRET = "slack-signing-secret-0123456789abcdef"
BOT = "xoxb-recorder-token"
ONCALL = "U0ONCALL1"


@pytest.fixture
def slack(
    service_factory: Callable[..., tuple[Any, Any]], recorder: SlackRecorder, demo_sandbox: dict[str, Any]
) -> tuple[Any, Any]:
    platform = PlatformSettings(
        sandbox_dir=Path(demo_sandbox["dir"]), slack_bot_token=SecretStr(BOT), slack_api_url=recorder.api_url
    )
    return service_factory(platform=platform, slack_signing_secret=SECRET, slack_channel="C0DEFAULT")


def ask(client: Any, text: str, channel: str) -> None:
    """Send a signed command (its answer is posted in ``channel`` by the job)."""
    body = urllib.parse.urlencode(
        {"command": "/referent", "text": text, "user_id": ONCALL, "channel_id": channel}
    ).encode()
    assert client.post("/slack/events", content=body, headers=signed_headers(SECRET, body)).status_code == 200


def posted(recorder: SlackRecorder, channel: str) -> list[dict[str, Any]]:
    return [r["body"] for r in recorder.requests("chat.postMessage") if r["body"]["channel"] == channel]


def _wait_posts(
    recorder: SlackRecorder, channel: str, n: int = 1, timeout: float = 180
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = posted(recorder, channel)
        if len(found) >= n:
            return found
        time.sleep(0.5)
    raise AssertionError(f"no post in {channel} after {timeout:.0f}s")


def test_rightsize_by_namespace_and_by_team(slack: tuple[Any, Any], recorder: SlackRecorder) -> None:
    client, services = slack
    ask(client, "rightsize ds-notebooks", "C0NS")
    [by_namespace] = _wait_posts(recorder, "C0NS")
    assert any(b["type"] == "header" for b in by_namespace["blocks"])
    assert "jupyter" in str(by_namespace["blocks"])

    ask(client, "rightsize fraud-ml", "C0TEAM")
    [by_team] = _wait_posts(recorder, "C0TEAM")
    assert by_team["text"].startswith("*Team `fraud-ml`*")
    assert "jupyter-ana" in by_team["text"] and "jupyter-bruno" not in by_team["text"]
    runs = [r for r in services.runtime.audit.tail(5000) if r.tool.startswith("prometheus.")]
    assert runs and {r.principal for r in runs} == {"agent:rightsizing"}
