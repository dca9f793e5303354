"""``/referent`` commands end to end on the service (DBOS launched on SQLite): each command is a gateway
call as ``slack:<user id>``, the long work runs as a DBOS workflow under the agent's principal, and the
answer reaches the local Slack recorder through ``slack.post_message`` (redacted, audited).

No platform source is configured here: the agents run and say which sources were missing (the
promotion run on the real sandbox is in test_slack_approvals.py).
"""

from __future__ import annotations

import hashlib
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest
from dbos import DBOS
from pydantic import SecretStr

from evals.sandbox.slack_recorder import SlackRecorder, signed_headers
from tools.settings import PlatformSettings

SECRET = "slack-signing-secret-0123456789abcdef"
BOT = "xoxb-recorder-token"
APPROVER, ONCALL = "U0APPROVER1", "U0ONCALL1"
PUBLIC = "http://referent.test"


@pytest.fixture
def slack(service_factory: Callable[..., tuple[Any, Any]], recorder: SlackRecorder) -> tuple[Any, Any]:
    platform = PlatformSettings(
        slack_bot_token=SecretStr(BOT), slack_api_url=recorder.api_url, slack_channel="C0REPORTS"
    )
    return service_factory(
        platform=platform,
        slack_signing_secret=SECRET,
        public_url=PUBLIC,
        slack_channel="C0REPORTS",
    )


def send(client: Any, user: str, text: str, channel: str = "C0CMD") -> tuple[dict[str, Any], str]:
    """Post a signed slash command; the answer and the id of the job it may have enqueued."""
    body = urllib.parse.urlencode(
        {"command": "/referent", "text": text, "user_id": user, "channel_id": channel, "team_id": "T0"}
    ).encode()
    headers = signed_headers(SECRET, body)
    response = client.post("/slack/events", content=body, headers=headers)
    assert response.status_code == 200, response.text
    signed = headers["X-Slack-Request-Timestamp"] + headers["X-Slack-Signature"]
    return response.json(), "slack-" + hashlib.sha256(signed.encode()).hexdigest()[:32]


def posts(recorder: SlackRecorder, channel: str) -> list[dict[str, Any]]:
    return [r["body"] for r in recorder.requests("chat.postMessage") if r["body"].get("channel") == channel]


def done(workflow_id: str) -> Any:
    return DBOS.retrieve_workflow(workflow_id).get_result()


def records(services: Any, tool: str) -> list[Any]:
    return [r for r in services.runtime.audit.tail(500) if r.tool == tool]


def test_finops_command_runs_as_a_workflow_and_posts_the_report_link(
    slack: tuple[Any, Any], recorder: SlackRecorder
) -> None:
    client, services = slack
    started = time.perf_counter()
    answer, job = send(client, APPROVER, "finops")
    assert time.perf_counter() - started < 3.0  # acknowledged within Slack's 3 s; the work runs after
    assert answer["text"].startswith("On it")
    posted = done(job)
    [message] = posts(recorder, "C0CMD")
    assert posted["channel"] == "C0CMD" and posted["ts"]
    [stored] = services.reports.list(kind="finops")
    assert f"{PUBLIC}/finops/reports/{stored.id}" in message["text"]
    [command] = records(services, "referent.finops")
    assert (command.principal, command.decision) == (f"slack:{APPROVER}", "allow")
    post = records(services, "slack.post_message")[-1]
    assert (post.principal, post.outcome) == ("agent:rightsizing", "ok")


def test_duplicate_delivery_runs_the_job_once(slack: tuple[Any, Any], recorder: SlackRecorder) -> None:
    client, services = slack
    body = urllib.parse.urlencode(
        {"command": "/referent", "text": "rightsize ml-serving", "user_id": ONCALL, "channel_id": "C0DUP"}
    ).encode()
    headers = signed_headers(SECRET, body)
    for _ in range(2):  # Slack (or an attacker) delivers the same signed request twice within 5 minutes
        assert client.post("/slack/events", content=body, headers=headers).status_code == 200
    signed = headers["X-Slack-Request-Timestamp"] + headers["X-Slack-Signature"]
    done("slack-" + hashlib.sha256(signed.encode()).hexdigest()[:32])
    time.sleep(0.5)
    assert len(posts(recorder, "C0DUP")) == 1
    assert len(records(services, "referent.rightsize")) == 2  # both deliveries audited, one job
    assert len(services.reports.list(kind="rightsizing")) == 2  # namespace run, then the team fallback
    assert "No workload found in namespace or team `ml-serving`" in posts(recorder, "C0DUP")[0]["text"]


def test_runbook_command_answers_with_the_library_url(
    slack: tuple[Any, Any], recorder: SlackRecorder
) -> None:
    client, services = slack
    _, job = send(client, ONCALL, "runbook KubePodCrashLooping", channel="C0RB")
    done(job)
    _, missing = send(client, ONCALL, "runbook NoSuchAlertAnywhere", channel="C0RB")
    done(missing)
    found, absent = posts(recorder, "C0RB")
    assert "/runbooks/KubePodCrashLooping" in found["text"]
    assert "No runbook for `NoSuchAlertAnywhere`" in absent["text"]
    assert {r.principal for r in records(services, "runbooks.find")} == {"agent:runbook"}


def test_triage_command_opens_an_incident_and_links_its_page(slack: tuple[Any, Any]) -> None:
    client, services = slack
    answer, _ = send(client, ONCALL, "triage FraudScorerHighLatency")
    assert answer["text"].startswith("Triage of `FraudScorerHighLatency` started")
    [incident] = services.incidents.list()
    assert f"{PUBLIC}/incidents/{incident.id}" in answer["text"]
    done(f"triage-{incident.id}")
    again, _ = send(client, ONCALL, f"triage {incident.id}")
    assert f"Incident `{incident.id}`" in again["text"] and "*open*" in again["text"]
    by_name, _ = send(client, ONCALL, "triage FraudScorerHighLatency")  # the open incident, not a new one
    assert incident.id in by_name["text"] and len(services.incidents.list()) == 1
    assert [r.principal for r in records(services, "referent.triage")] == [f"slack:{ONCALL}"] * 3


def test_promote_without_mlflow_answers_with_the_blocked_report(
    slack: tuple[Any, Any], recorder: SlackRecorder
) -> None:
    """An approver may ask; with MLflow missing the promotion agent blocks and the answer says so."""
    client, services = slack
    _, job = send(client, APPROVER, "promote ledger-model 2 staging", channel="C0PROMO")
    done(job)
    [message] = posts(recorder, "C0PROMO")
    assert "ledger-model" in message["text"]
    assert [r.principal for r in records(services, "referent.promote")] == [f"slack:{APPROVER}"]


def test_personal_data_typed_in_a_command_goes_no_further_than_the_gateway(
    slack: tuple[Any, Any], recorder: SlackRecorder
) -> None:
    client, services = slack
    cpf = "529.982.247-25"
    answer, _ = send(client, ONCALL, f"triage {cpf}")
    [incident] = services.incidents.list()
    done(f"triage-{incident.id}")
    assert cpf not in answer["text"] and cpf not in incident.alertname
    assert cpf not in str(recorder.requests())
    [command] = records(services, "referent.triage")
    assert cpf not in str(command.arguments)


def _click(client: Any, recorder: SlackRecorder, user: str, action: str, approval_id: str) -> str:
    import json

    hook = f"hook-{user}-{action}"
    payload = {
        "type": "block_actions",
        "user": {"id": user},
        "team": {"id": "T0"},
        "channel": {"id": "C0APPR"},
        "container": {"type": "message", "message_ts": "1.000001", "is_ephemeral": True},
        "response_url": recorder.response_url(hook),
        "actions": [{"type": "button", "action_id": action, "value": approval_id}],
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    assert client.post("/slack/events", content=body, headers=signed_headers(SECRET, body)).status_code == 200
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        answers = [r["body"] for r in recorder.requests() if r["path"] == f"/response/{hook}"]
        if answers:
            return str(answers[0]["text"])
        time.sleep(0.1)
    raise AssertionError("no answer on the response_url")


def test_materialization_approval_decided_from_slack(slack: tuple[Any, Any], recorder: SlackRecorder) -> None:
    """A backfill the triage agent asked for: on-call approves from the buttons; nothing to resume."""
    from agents.promotion.render import APPROVE_ACTION, DENY_ACTION
    from guardrails.errors import ApprovalRequired
    from guardrails.gateway import CallContext

    client, services = slack
    args = {"name": "txn_velocity", "start": "2026-12-01T00:00:00Z", "end": "2026-12-02T00:00:00Z"}
    ids = []
    for run in ("run-mat-a", "run-mat-b"):
        with pytest.raises(ApprovalRequired) as pending:
            services.runtime.gateway.call(CallContext("agent:triage", run), "feast.materialize", args)
        ids.append(pending.value.approval_id)
    approved = _click(client, recorder, ONCALL, APPROVE_ACTION, ids[0])
    assert approved == f"<@{ONCALL}> approved `feast.materialize` (production)."
    denied = _click(client, recorder, APPROVER, DENY_ACTION, ids[1])
    assert denied.startswith(f"<@{APPROVER}> denied")
    again = _click(client, recorder, APPROVER, APPROVE_ACTION, ids[0])
    assert again.startswith("Sorry") and "not pending" in again
    statuses = [services.runtime.approvals.get(i).status.value for i in ids]
    assert statuses == ["approved", "denied"]
    decisions = [(r.principal, r.outcome) for r in services.runtime.audit.tail(500) if r.kind == "approval"]
    assert decisions == [
        (f"slack:{ONCALL}", "ok"),
        (f"slack:{APPROVER}", "ok"),
        (f"slack:{APPROVER}", "refused"),
    ]
