"""``POST /slack/events``: bolt's signature verification, and commands as gateway calls as ``slack:<id>``.

What is accepted: a request whose v0 signature verifies with the signing secret and whose timestamp is
within 5 minutes of now. A wrong signature, a missing one, or a correctly signed request replayed more
than 5 minutes after it was signed gets 401 and runs nothing (no gateway call, no audit record). A
duplicate of a valid request *inside* the window passes the signature check (Slack itself retries);
it is answered again, and long work it asks for runs once (the job's id derives from the signature;
see test_slack_commands.py).
"""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from evals.sandbox.slack_recorder import SlackRecorder, signed_headers

SECRET = "slack-signing-secret-0123456789abcdef"
KEY = "test-pseudonym-key-0123456789abcdef"
BOT = "xoxb-recorder-token"
RANDOM, APPROVER, ONCALL = "U0RANDOM1", "U0APPROVER1", "U0ONCALL1"


@pytest.fixture
def services(tmp_path: Path, recorder: SlackRecorder) -> Iterator[Any]:
    from api.service.services import build_services
    from api.settings import ServiceSettings
    from guardrails.factory import build_runtime
    from guardrails.settings import GuardrailSettings
    from tools.settings import PlatformSettings

    runtime = build_runtime(
        GuardrailSettings(state_dir=tmp_path, pseudonym_key=SecretStr(KEY), redaction_nlp=False),
        PlatformSettings(slack_bot_token=SecretStr(BOT), slack_api_url=recorder.api_url, slack_channel="C0"),
    )
    settings = ServiceSettings(
        slack_signing_secret=SecretStr(SECRET), public_url="http://referent.test", slack_channel="C0"
    )
    svc = build_services(settings, runtime)
    yield svc
    svc.close()


@pytest.fixture
def client(services: Any) -> TestClient:
    from api.slack import build_router

    app = FastAPI()
    app.include_router(build_router(services))
    return TestClient(app)


def command_body(user: str, text: str, channel: str = "C0CMD") -> bytes:
    form = {
        "command": "/referent",
        "text": text,
        "user_id": user,
        "channel_id": channel,
        "team_id": "T0",
        "response_url": "http://127.0.0.1:9/response",
        "trigger_id": "1.2.3",
        "token": "legacy",
    }
    return urllib.parse.urlencode(form).encode()


def post(client: TestClient, body: bytes, headers: dict[str, str]) -> Any:
    return client.post("/slack/events", content=body, headers=headers)


def posts(recorder: SlackRecorder) -> list[Any]:
    """What was sent to Slack (bolt's own ``auth.test`` aside)."""
    return [r for r in recorder.requests() if r["method"] != "auth.test"]


def referent_records(services: Any) -> list[Any]:
    return [r for r in services.runtime.audit.tail(200) if str(r.tool).startswith("referent.")]


def test_valid_signature_runs_the_command_as_the_slack_user(client: TestClient, services: Any) -> None:
    body = command_body(RANDOM, "help")
    response = post(client, body, signed_headers(SECRET, body))
    assert response.status_code == 200
    assert "/referent triage" in response.json()["text"]
    [rec] = referent_records(services)
    assert (rec.principal, rec.tool, rec.decision, rec.outcome) == (
        f"slack:{RANDOM}",
        "referent.help",
        "allow",
        "ok",
    )


@pytest.mark.parametrize(
    "tamper",
    ["wrong-secret", "changed-body", "stale", "replayed-after-window", "missing", "future"],
)
def test_bad_or_stale_signatures_get_401_and_run_nothing(
    client: TestClient, services: Any, recorder: SlackRecorder, tamper: str
) -> None:
    body = command_body(APPROVER, "approvals")
    now = int(time.time())
    headers = {
        "wrong-secret": lambda: signed_headers("another-secret-0123456789abcdef", body),
        "changed-body": lambda: signed_headers(SECRET, command_body(RANDOM, "approvals")),
        "stale": lambda: signed_headers(SECRET, body, now - 301),
        "replayed-after-window": lambda: signed_headers(SECRET, body, now - 6 * 60),
        "missing": lambda: {"Content-Type": "application/x-www-form-urlencoded"},
        "future": lambda: signed_headers(SECRET, body, now + 301),
    }[tamper]()
    response = post(client, body, headers)
    assert response.status_code == 401
    assert referent_records(services) == [] and recorder.requests() == []  # not even auth.test


def test_duplicate_inside_the_window_is_answered_again(client: TestClient, services: Any) -> None:
    body = command_body(APPROVER, "approvals")
    headers = signed_headers(SECRET, body)
    first, second = post(client, body, headers), post(client, body, headers)
    assert first.status_code == second.status_code == 200
    assert first.json()["text"] == second.json()["text"] == "No approvals are waiting."
    assert [r.principal for r in referent_records(services)] == [f"slack:{APPROVER}"] * 2


def test_denied_command_is_answered_politely_and_audited(
    client: TestClient, services: Any, recorder: SlackRecorder
) -> None:
    body = command_body(RANDOM, "promote fraud-scorer 4 production")
    response = post(client, body, signed_headers(SECRET, body))
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("Sorry, you are not allowed to run `/referent promote`")
    [rec] = referent_records(services)
    assert (rec.principal, rec.tool, rec.decision, rec.environment) == (
        f"slack:{RANDOM}",
        "referent.promote",
        "deny",
        "production",
    )
    assert posts(recorder) == []  # nothing was posted, nothing enqueued


def test_oncall_may_roll_back_but_not_promote(client: TestClient, services: Any) -> None:
    body = command_body(ONCALL, "promote fraud-scorer 4 prod")
    assert "not allowed" in post(client, body, signed_headers(SECRET, body)).json()["text"]
    body = command_body(ONCALL, "rollback fraud-scorer")
    text = post(client, body, signed_headers(SECRET, body)).json()["text"]
    assert "not allowed" not in text  # allowed; no workers run in this test, so it says so
    decisions = [(r.tool, r.decision) for r in referent_records(services)]
    assert decisions == [("referent.promote", "deny"), ("referent.rollback", "allow")]


def test_usage_errors_answer_with_help_and_call_nothing(client: TestClient, services: Any) -> None:
    for text in ("frobnicate", "promote fraud-scorer", "triage"):
        body = command_body(APPROVER, text)
        answer = post(client, body, signed_headers(SECRET, body)).json()["text"]
        assert "/referent help" in answer
    assert referent_records(services) == []


def test_invalid_arguments_are_refused_by_the_gateway(client: TestClient, services: Any) -> None:
    body = command_body(APPROVER, "promote fraud-scorer latest production")
    answer = post(client, body, signed_headers(SECRET, body)).json()["text"]
    assert answer.startswith("Sorry, I could not read that")
    [rec] = referent_records(services)
    assert rec.outcome == "bad_input"


def test_approvals_lists_pending_with_buttons(client: TestClient, services: Any) -> None:
    from guardrails.errors import ApprovalRequired
    from guardrails.gateway import CallContext

    ctx = CallContext("agent:triage", "run-mat-1")
    with pytest.raises(ApprovalRequired) as pending:
        services.runtime.gateway.call(
            ctx,
            "feast.materialize",
            {"name": "txn_velocity", "start": "2026-12-01T00:00:00Z", "end": "2026-12-02T00:00:00Z"},
        )
    body = command_body(ONCALL, "approvals")
    answer = post(client, body, signed_headers(SECRET, body)).json()
    buttons = [e for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert {b["value"] for b in buttons} == {pending.value.approval_id}
    assert json.dumps(answer).count("feast.materialize") == 1


def test_no_signing_secret_means_503(tmp_path: Path, services: Any) -> None:
    from api.slack import build_router

    services.settings = services.settings.model_copy(update={"slack_signing_secret": None})
    app = FastAPI()
    app.include_router(build_router(services))
    body = command_body(APPROVER, "help")
    response = TestClient(app).post("/slack/events", content=body, headers=signed_headers(SECRET, body))
    assert response.status_code == 503 and "REFERENT_SLACK_SIGNING_SECRET" in response.text


def test_manifest_points_commands_and_interactions_at_the_events_route() -> None:
    import yaml

    from api.slack import EVENTS_PATH
    from api.slack.commands import COMMANDS

    manifest = yaml.safe_load((Path(__file__).parents[2] / "api/slack/manifest.yaml").read_text())
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/referent" and command["url"].endswith(EVENTS_PATH)
    assert manifest["settings"]["interactivity"]["request_url"].endswith(EVENTS_PATH)
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {"chat:write", "commands"}
    assert all(name in command["description"] for name in COMMANDS)
