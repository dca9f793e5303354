"""Socket Mode end to end without the internet: the service's bolt app connects with slack_sdk's built-in
Socket Mode client to the local recorder, which hands out a ``ws://`` URL from ``apps.connections.open``
(only for the app-level token) and pushes envelopes on a real WebSocket.

The listeners are the HTTP mode's: a command is acknowledged on the socket, its long work runs as a
DBOS workflow and answers with ``chat.postMessage``; an Approve click decides as the Slack user and
resumes the paused promotion (real sandbox MLflow, Prometheus, Feast).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dbos import DBOS
from pydantic import SecretStr, ValidationError

from api.settings import ServiceSettings
from evals.sandbox.slack_recorder import SlackRecorder
from tools.settings import PlatformSettings

APP = "xapp-1-A0REFERENT-1-0123456789abcdef"
BOT = "xoxb-recorder-token"
REQUESTER, APPROVER, ONCALL = "U0APPROVER1", "U0APPROVER2", "U0ONCALL1"


@pytest.fixture
def socket_recorder() -> Iterator[SlackRecorder]:
    """The recorder, accepting only the bot token on the Web API and only ``APP`` for Socket Mode."""
    with SlackRecorder(token=BOT, app_token=APP) as rec:
        yield rec


def start(factory: Callable[..., tuple[Any, Any]], rec: SlackRecorder, **platform: Any) -> tuple[Any, Any]:
    """A service in Socket Mode only (no signing secret), talking to ``rec``."""
    settings = PlatformSettings(slack_bot_token=SecretStr(BOT), slack_api_url=rec.api_url, **platform)
    return factory(platform=settings, slack_app_token=APP, slack_channel="C0REPORTS")


def command(user: str, text: str, channel: str = "C0CMD", rec: SlackRecorder | None = None) -> dict[str, Any]:
    """A slash-command payload as Socket Mode carries it (a fresh trigger_id per invocation)."""
    payload = {"command": "/referent", "text": text, "user_id": user, "channel_id": channel, "team_id": "T0",
               "trigger_id": uuid.uuid4().hex, "api_app_id": "A0REFERENT"}  # fmt: skip
    if rec is not None:
        payload["response_url"] = rec.response_url(f"cmd-{payload['trigger_id'][:8]}")
    return payload


def jobs() -> list[str]:
    return sorted(w.workflow_id for w in DBOS.list_workflows(name="referent.slack.job"))


def posts(rec: SlackRecorder, channel: str) -> list[dict[str, Any]]:
    return [r["body"] for r in rec.requests("chat.postMessage") if r["body"].get("channel") == channel]


def test_commands_arrive_on_the_socket_and_are_answered(
    service_factory: Callable[..., tuple[Any, Any]], socket_recorder: SlackRecorder
) -> None:
    client, services = start(service_factory, socket_recorder)
    assert socket_recorder.wait_socket() == 1 and socket_recorder.connections_opened() == 1
    assert client.post("/slack/events", content=b"x").status_code == 503  # no HTTP door without a secret

    ack = socket_recorder.socket_send("slash_commands", command(ONCALL, "help"))
    assert ack["payload"]["response_type"] == "ephemeral" and "/referent triage" in ack["payload"]["text"]
    [helped] = [r for r in services.runtime.audit.tail(200) if r.tool == "referent.help"]
    assert helped.principal == f"slack:{ONCALL}" and helped.outcome == "ok"

    payload = command(ONCALL, "runbook KubePodCrashLooping", channel="C0RB")
    ack = socket_recorder.socket_send("slash_commands", payload)
    assert ack["payload"]["text"].startswith("On it")
    [job] = jobs()
    DBOS.retrieve_workflow(job).get_result()
    [answer] = posts(socket_recorder, "C0RB")
    assert "/runbooks/KubePodCrashLooping" in answer["text"]

    again = socket_recorder.socket_send("slash_commands", payload)  # Slack redelivers an unacked envelope
    assert again["payload"]["text"].startswith("On it") and jobs() == [job]
    time.sleep(0.5)
    assert len(posts(socket_recorder, "C0RB")) == 1

    denied = socket_recorder.socket_send("slash_commands", command("U0STRANGER", "rightsize payments"))
    assert denied["payload"]["text"].startswith("Sorry, you are not allowed")
    assert jobs() == [job]


def test_a_refresh_reconnects_and_replicas_each_hold_a_connection(
    service_factory: Callable[..., tuple[Any, Any]], socket_recorder: SlackRecorder
) -> None:
    start(service_factory, socket_recorder)
    socket_recorder.wait_socket()
    socket_recorder.socket_refresh()  # Slack's disconnect/refresh_requested: a new URL, a new socket
    deadline = time.monotonic() + 15
    while socket_recorder.connections_opened() < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert socket_recorder.connections_opened() == 2
    assert socket_recorder.socket_send("slash_commands", command(ONCALL, "help"))["payload"]["text"]

    start(service_factory, socket_recorder)  # a second API replica on the same state
    assert socket_recorder.wait_socket(count=2) == 2
    payload = command(ONCALL, "runbook KubePodCrashLooping", channel="C0REP")
    first = socket_recorder.socket_send("slash_commands", payload, on=0)
    second = socket_recorder.socket_send("slash_commands", payload, on=1)  # redelivered to the other one
    assert first["payload"]["text"].startswith("On it") and second["payload"]["text"].startswith("On it")
    [job] = jobs()
    DBOS.retrieve_workflow(job).get_result()
    assert len(posts(socket_recorder, "C0REP")) == 1


def test_a_token_slack_refuses_stops_the_start(
    tmp_path: Path, kit: Any, socket_recorder: SlackRecorder
) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.slack.socket_mode import SocketModeRefused

    platform = PlatformSettings(slack_bot_token=SecretStr(BOT), slack_api_url=socket_recorder.api_url)
    services = kit.make_services(
        tmp_path / "state", platform=platform, slack_app_token="xapp-1-A0OTHER-9-revoked"
    )
    try:
        with pytest.raises(SocketModeRefused, match="invalid_auth"), TestClient(create_app(services)):
            pass
    finally:
        services.close()
    assert socket_recorder.connections_opened() == 0


def test_slack_unavailable_at_start_is_retried_in_the_background(
    service_factory: Callable[..., tuple[Any, Any]], socket_recorder: SlackRecorder
) -> None:
    socket_recorder.fail_with("apps.connections.open", "internal_error")
    client, _ = start(service_factory, socket_recorder)  # the service starts all the same
    assert client.get("/healthz").status_code == 200
    with pytest.raises(TimeoutError):
        socket_recorder.wait_socket(timeout=1)
    ready = client.get("/readyz").json()
    assert ready["ready"] and ready["checks"]["slack_socket"] == "connecting"
    socket_recorder.fail_with("apps.connections.open", None)
    socket_recorder.wait_socket(timeout=15)
    deadline = time.monotonic() + 15
    while client.get("/readyz").json()["checks"]["slack_socket"] != "connected":
        assert time.monotonic() < deadline, "the socket never showed as connected in /readyz"
        time.sleep(0.1)
    assert socket_recorder.socket_send("slash_commands", command(ONCALL, "help"))["payload"]["text"]
    assert len(socket_recorder.requests("apps.connections.open")) >= 2


def test_without_a_bot_token_nothing_connects_and_the_service_still_runs(
    service_factory: Callable[..., tuple[Any, Any]], socket_recorder: SlackRecorder
) -> None:
    platform = PlatformSettings(slack_api_url=socket_recorder.api_url)
    client, services = service_factory(platform=platform, slack_app_token=APP)
    assert client.get("/healthz").status_code == 200
    assert "slack_socket" not in services.extra and socket_recorder.requests() == []
    assert "REFERENT_SLACK_BOT_TOKEN" in client.post("/slack/events", content=b"x").json()["detail"]


@pytest.mark.parametrize(
    ("env", "why"),
    [
        ({"REFERENT_SLACK_APP_TOKEN": "xoxb-123-456-abcdefghijklmnop"}, "a xoxb… token"),
        ({"REFERENT_SLACK_APP_TOKEN": "hunter2-not-a-token"}, "not a Slack app-level token"),
        ({"REFERENT_SLACK_MODE": "socket"}, "needs REFERENT_SLACK_APP_TOKEN"),
    ],
)
def test_bad_socket_mode_settings_are_refused(
    env: dict[str, str], why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=why):
        ServiceSettings()


def test_mode_follows_the_app_token_unless_http_is_asked() -> None:
    assert not ServiceSettings().slack_socket_mode
    assert ServiceSettings(slack_app_token=APP).slack_socket_mode
    assert not ServiceSettings(slack_app_token=APP, slack_mode="http").slack_socket_mode


def test_serve_refuses_a_bot_token_as_app_token(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "REFERENT_STATE_DIR": str(tmp_path / "state"),
        "REFERENT_SLACK_APP_TOKEN": "xoxb-1-2-abc",
    }
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "serve", "--port", "65535"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 2, done.stderr
    assert "REFERENT_SLACK_APP_TOKEN must be an app-level token starting with xapp-" in done.stderr
    assert "xoxb-1-2-abc" not in done.stderr


def _champion(mlflow_uri: str, name: str) -> str:
    from mlflow.tracking import MlflowClient

    return str(MlflowClient(mlflow_uri, mlflow_uri).get_registered_model(name).aliases["champion"])


def _click(rec: SlackRecorder, user: str, action: str, approval_id: str, ts: str) -> str:
    """An Approve/Deny block_actions envelope; its ack must be empty, the answer goes to the response_url."""
    hook = f"click-{uuid.uuid4().hex[:8]}"
    payload = {"type": "block_actions", "user": {"id": user, "team_id": "T0"}, "team": {"id": "T0"},
               "api_app_id": "A0REFERENT", "trigger_id": uuid.uuid4().hex, "channel": {"id": "C0PROMO"},
               "container": {"type": "message", "message_ts": ts, "channel_id": "C0PROMO"},
               "message": {"ts": ts, "text": ""}, "response_url": rec.response_url(hook),
               "actions": [{"type": "button", "action_id": action, "block_id": f"approval:{approval_id}",
                            "value": approval_id}]}  # fmt: skip
    ack = rec.socket_send("interactive", payload)
    assert "payload" not in ack or not ack["payload"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        answers = [r["body"] for r in rec.requests() if r["path"] == f"/response/{hook}"]
        if answers:
            return str(answers[0]["text"])
        time.sleep(0.1)
    raise AssertionError("no answer on the response_url")


@pytest.mark.integration
def test_socket_mode_approval_resumes_the_paused_promotion(
    service_factory: Callable[..., tuple[Any, Any]],
    socket_recorder: SlackRecorder,
    promotable_model: Callable[[str], str],
    demo_sandbox: dict[str, Any],
) -> None:
    from agents.promotion.render import APPROVE_ACTION

    model = promotable_model("fraud-socket")
    _, services = start(service_factory, socket_recorder, sandbox_dir=Path(demo_sandbox["dir"]))
    ack = socket_recorder.socket_send(
        "slash_commands", command(REQUESTER, f"promote {model} 2 production", "C0PROMO")
    )
    assert ack["payload"]["text"].startswith("On it")
    [job] = jobs()
    DBOS.retrieve_workflow(job).get_result()
    [posted] = [r for r in socket_recorder.requests("chat.postMessage") if r["body"]["channel"] == "C0PROMO"]
    buttons = [e for b in posted["body"]["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons, f"no approval buttons: {posted['body']['text']}"
    approval_id, ts = buttons[0]["value"], str(posted["response"]["ts"])
    assert _champion(demo_sandbox["mlflow_uri"], model) == "1"

    own = _click(socket_recorder, REQUESTER, APPROVE_ACTION, approval_id, ts)
    assert own.startswith("Sorry") and "started the run" in own
    decided = _click(socket_recorder, APPROVER, APPROVE_ACTION, approval_id, ts)
    assert decided.startswith(f"<@{APPROVER}> approved") and "Resuming" in decided
    DBOS.retrieve_workflow(f"slack-resume-{approval_id}").get_result()
    assert _champion(demo_sandbox["mlflow_uri"], model) == "2"

    decisions = [r for r in services.runtime.audit.tail(2000) if r.kind == "approval"]
    assert [(r.principal, r.outcome) for r in decisions] == [
        (f"slack:{REQUESTER}", "refused"),
        (f"slack:{APPROVER}", "ok"),
    ]
    moved = [
        r for r in services.runtime.audit.tail(2000) if r.tool == "mlflow.set_alias" and r.outcome == "ok"
    ]
    assert moved and moved[-1].approver == f"slack:{APPROVER}"


def test_socket_manifest_matches_the_http_one_without_urls() -> None:
    import yaml

    folder = Path(__file__).resolve().parents[2] / "api/slack"
    http = yaml.safe_load((folder / "manifest.yaml").read_text())
    socket = yaml.safe_load((folder / "manifest.socket.yaml").read_text())
    assert (
        socket["settings"]["socket_mode_enabled"] is True and http["settings"]["socket_mode_enabled"] is False
    )
    assert "https://" not in (folder / "manifest.socket.yaml").read_text().split("display_information:")[1]
    [command] = http["features"]["slash_commands"]
    assert socket["features"]["slash_commands"] == [{k: v for k, v in command.items() if k != "url"}]
    assert socket["oauth_config"] == http["oauth_config"]
    assert socket["settings"]["interactivity"] == {"is_enabled": True}
    assert socket["display_information"] == http["display_information"]
