"""Approvals from Slack interactions resume a real paused promotion (LangGraph run on the demo sandbox's
MLflow, Prometheus and Feast; DBOS on SQLite; Slack's Web API is the local recorder).

An ML approver asks ``/referent promote <model> 2 production``; the promotion agent (as
``agent:promotion``, with the Slack user as ``requested_by``) passes its gates and pauses on the
production approval, posting Approve / Deny buttons. The requester's own click and an on-call engineer's
click are refused politely; a second ML approver's click decides it (audited with the Slack identity),
and the paused run resumes and moves the alias.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from dbos import DBOS
from pydantic import SecretStr

from evals.sandbox.slack_recorder import SlackRecorder, signed_headers
from tools.settings import PlatformSettings

pytestmark = pytest.mark.integration

SECRET = "slack-signing-secret-0123456789abcdef"
BOT = "xoxb-recorder-token"
REQUESTER, APPROVER, ONCALL = "U0APPROVER1", "U0APPROVER2", "U0ONCALL1"


@pytest.fixture
def model(promotable_model: Callable[[str], str]) -> str:
    return promotable_model("fraud-slack")


@pytest.fixture
def slack(
    service_factory: Callable[..., tuple[Any, Any]], recorder: SlackRecorder, demo_sandbox: dict[str, Any]
) -> tuple[Any, Any]:
    from pathlib import Path

    platform = PlatformSettings(
        sandbox_dir=Path(demo_sandbox["dir"]), slack_bot_token=SecretStr(BOT), slack_api_url=recorder.api_url
    )
    return service_factory(platform=platform, slack_signing_secret=SECRET, slack_channel="C0PROMO")


def _signed_post(client: Any, form: dict[str, str]) -> Any:
    body = urllib.parse.urlencode(form).encode()
    response = client.post("/slack/events", content=body, headers=signed_headers(SECRET, body))
    assert response.status_code == 200, response.text
    return response


def click(client: Any, recorder: SlackRecorder, user: str, action: str, message: dict[str, Any]) -> str:
    """A signed block_actions interaction on ``message``'s button; the text sent to its response_url."""
    approval_id = message["approval_id"]
    hook = f"click-{uuid.uuid4().hex[:8]}"
    payload = {
        "type": "block_actions",
        "user": {"id": user, "team_id": "T0"},
        "team": {"id": "T0"},
        "api_app_id": "A0",
        "trigger_id": "1.2.3",
        "channel": {"id": message["channel"]},
        "container": {"type": "message", "message_ts": message["ts"], "channel_id": message["channel"]},
        "message": {"ts": message["ts"], "text": message["text"]},
        "response_url": recorder.response_url(hook),
        "actions": [
            {
                "type": "button",
                "action_id": action,
                "block_id": f"approval:{approval_id}",
                "value": approval_id,
            }
        ],
    }
    _signed_post(client, {"payload": json.dumps(payload)})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        answers = [r["body"] for r in recorder.requests() if r["path"] == f"/response/{hook}"]
        if answers:
            return str(answers[0]["text"])
        time.sleep(0.1)
    raise AssertionError("no answer on the response_url")


def _champion(mlflow_uri: str, name: str) -> str:
    from mlflow.tracking import MlflowClient

    return str(MlflowClient(mlflow_uri, mlflow_uri).get_registered_model(name).aliases["champion"])


def test_slack_approval_resumes_the_paused_promotion(
    slack: tuple[Any, Any], recorder: SlackRecorder, model: str, demo_sandbox: dict[str, Any]
) -> None:
    from agents.promotion.render import APPROVE_ACTION

    client, services = slack
    form = {"command": "/referent", "text": f"promote {model} 2 production", "user_id": REQUESTER,
            "channel_id": "C0PROMO", "team_id": "T0"}  # fmt: skip
    ack = _signed_post(client, form).json()
    assert ack["text"].startswith("On it")
    [job] = [w.workflow_id for w in DBOS.list_workflows(name="referent.slack.job")]
    DBOS.retrieve_workflow(job).get_result()

    [posted] = [r for r in recorder.requests("chat.postMessage") if r["body"]["channel"] == "C0PROMO"]
    buttons = [e for b in posted["body"]["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons, f"no approval buttons: {posted['body']['text']}"
    approval_id = buttons[0]["value"]
    message = {"approval_id": approval_id, "channel": "C0PROMO", "ts": posted["response"]["ts"], "text": ""}
    assert _champion(demo_sandbox["mlflow_uri"], model) == "1"
    pending = services.runtime.approvals.get(approval_id)
    assert pending.requested_by == f"slack:{REQUESTER}" and pending.requester == "agent:promotion"

    own = click(client, recorder, REQUESTER, APPROVE_ACTION, message)
    assert own.startswith("Sorry") and "started the run" in own
    oncall = click(client, recorder, ONCALL, APPROVE_ACTION, message)
    assert oncall.startswith("Sorry") and "may not decide" in oncall
    assert services.runtime.approvals.get(approval_id).status.value == "pending"

    decided = click(client, recorder, APPROVER, APPROVE_ACTION, message)
    assert decided.startswith(f"<@{APPROVER}> approved") and "Resuming" in decided
    DBOS.retrieve_workflow(f"slack-resume-{approval_id}").get_result()
    assert _champion(demo_sandbox["mlflow_uri"], model) == "2"

    [update] = recorder.requests("chat.update")
    assert update["body"]["ts"] == message["ts"]
    threaded = [r["body"] for r in recorder.requests("chat.postMessage") if r["body"].get("thread_ts")]
    assert [t["thread_ts"] for t in threaded] == [message["ts"]]
    decisions = [r for r in services.runtime.audit.tail(2000) if r.kind == "approval"]
    assert [(r.principal, r.outcome) for r in decisions] == [
        (f"slack:{REQUESTER}", "refused"),
        (f"slack:{ONCALL}", "refused"),
        (f"slack:{APPROVER}", "ok"),
    ]
    moved = [
        r for r in services.runtime.audit.tail(2000) if r.tool == "mlflow.set_alias" and r.outcome == "ok"
    ]
    assert moved and moved[-1].approver == f"slack:{APPROVER}"
