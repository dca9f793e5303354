"""Reports reach Slack through the gateway: a root message per incident on the routed channel, the
report in its thread, the root updated when the alert resolves (local recorder for Slack's Web API)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from dbos import DBOS
from pydantic import SecretStr

from evals.sandbox.slack_recorder import SlackRecorder

AM = "/v1/alerts/alertmanager"


@pytest.fixture
def slack_service(tmp_path, kit) -> Iterator[tuple[Any, Any, SlackRecorder]]:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from tools.settings import PlatformSettings

    with SlackRecorder(token="xoxb-test-token") as recorder:
        platform = PlatformSettings(
            prometheus_url=None,
            mlflow_tracking_uri=None,
            slack_bot_token=SecretStr("xoxb-test-token"),
            slack_api_url=recorder.api_url,
            slack_channel="C0DEFAULT",
        )
        services = kit.make_services(
            tmp_path / "state",
            platform=platform,
            slack_channel="C0DEFAULT",
            routes=[{"match": {"team": "fraud"}, "channel": "C0FRAUD"}],
        )
        with TestClient(create_app(services)) as client:
            yield client, services, recorder
        services.close()


def test_report_threaded_on_the_routed_channel_and_updated_on_resolve(slack_service, kit):
    client, services, recorder = slack_service
    auth = {"Authorization": f"Bearer {kit.AM_TOKEN}"}
    fired = kit.alertmanager_payload(kit.am_alert(team="fraud"))
    iid = client.post(AM, json=fired, headers=auth).json()["incidents"][0]
    report_id = DBOS.retrieve_workflow(f"triage-{iid}").get_result()
    incident = services.incidents.get(iid)
    root, reply = recorder.requests("chat.postMessage")
    assert root["authorized"] and root["body"]["channel"] == "C0FRAUD" and iid in root["body"]["text"]
    assert (incident.slack_channel, incident.slack_ts) == ("C0FRAUD", root["response"]["ts"])
    assert reply["body"]["thread_ts"] == incident.slack_ts and reply["body"]["blocks"]
    assert "ana.silva@example.com" not in str(reply["body"])  # the annotation was redacted
    assert incident.report_ids == [report_id]

    resolved = kit.alertmanager_payload(kit.am_alert(team="fraud", status="resolved"))
    assert client.post(AM, json=resolved, headers=auth).json()["incidents"] == [iid]
    DBOS.retrieve_workflow(f"resolve-{iid}").get_result()
    [update] = recorder.requests("chat.update")
    assert update["body"]["ts"] == incident.slack_ts and "resolved" in update["body"]["text"]
    slack_calls = [r for r in services.runtime.audit.tail(limit=200) if r.tool.startswith("slack.")]
    assert [r.tool for r in slack_calls] == [
        "slack.post_message",
        "slack.post_message",
        "slack.update_message",
    ]
    assert all(r.principal == "agent:triage" and r.outcome == "ok" for r in slack_calls)


def test_unrouted_alert_goes_to_the_default_channel(slack_service, kit):
    client, _, recorder = slack_service
    auth = {"Authorization": f"Bearer {kit.AM_TOKEN}"}
    iid = client.post(AM, json=kit.alertmanager_payload(kit.am_alert(team="risk")), headers=auth).json()[
        "incidents"
    ][0]
    DBOS.retrieve_workflow(f"triage-{iid}").get_result()
    assert {r["body"]["channel"] for r in recorder.requests("chat.postMessage")} == {"C0DEFAULT"}
