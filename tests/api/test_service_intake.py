"""Webhook intake: bearer auth, PagerDuty signatures (rotation), 413/422, dedup, resolution."""

from __future__ import annotations

import json
from typing import Any

import pytest
from dbos import DBOS

from api.routes.intake import pagerduty_signature

AM = "/v1/alerts/alertmanager"
PD = "/v1/alerts/pagerduty"
AM_TOKEN = "am-token-0123456789abcdef"  # as tests/api/conftest.py configures the service
PD_SECRETS = ["pd-new-secret-0123456789", "pd-old-secret-0123456789"]
AUTH = {"Authorization": f"Bearer {AM_TOKEN}"}


def _wait(workflow_id: str) -> Any:
    return DBOS.retrieve_workflow(workflow_id).get_result()


def _triage_reports(services: Any) -> int:
    return len(services.reports.list(kind="triage", limit=1000))


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token-0123456789"},
        {"Authorization": AM_TOKEN},
        {"Authorization": "Basic x"},
    ],
)
def test_alertmanager_refuses_missing_or_wrong_bearer(service, headers, kit):
    client, services = service
    r = client.post(AM, json=kit.alertmanager_payload(kit.am_alert()), headers=headers)
    assert r.status_code == 401
    assert services.incidents.list() == []


def test_alertmanager_without_configured_token_refuses_everything(service_factory, kit):
    client, services = service_factory(alertmanager_token=None)
    r = client.post(AM, json=kit.alertmanager_payload(kit.am_alert()), headers=AUTH)
    assert r.status_code == 401
    assert services.incidents.list() == []


def test_alertmanager_accepts_triages_once_and_dedups_two_deliveries(service, kit):
    client, services = service
    payload = kit.alertmanager_payload(kit.am_alert(), kit.am_alert("ChargebackDrift", "fedcba9876543210"))
    first = client.post(AM, json=payload, headers=AUTH)
    second = client.post(AM, json=payload, headers=AUTH)
    assert first.status_code == second.status_code == 202
    body = first.json()
    assert body["accepted"] == 2 and body == second.json()
    for iid in body["incidents"]:
        report_id = _wait(f"triage-{iid}")
        incident = client.get(f"/v1/incidents/{iid}", headers=kit.bearer("viewer")).json()
        assert incident["status"] == "open"
        assert [r["report_id"] for r in incident["reports"]] == [report_id]
        assert "ana.silva@example.com" not in json.dumps(incident)
    assert _triage_reports(services) == 2


def test_same_alert_new_firing_is_a_new_incident(service, kit):
    client, _ = service
    a = client.post(AM, json=kit.alertmanager_payload(kit.am_alert()), headers=AUTH).json()
    b = client.post(
        AM, json=kit.alertmanager_payload(kit.am_alert(starts="2026-12-06T05:00:00Z")), headers=AUTH
    ).json()
    assert a["incidents"] != b["incidents"]


def test_resolved_closes_the_incident_and_is_not_triaged(service, kit):
    client, services = service
    fired = client.post(AM, json=kit.alertmanager_payload(kit.am_alert()), headers=AUTH).json()["incidents"][
        0
    ]
    _wait(f"triage-{fired}")
    resolved = client.post(AM, json=kit.alertmanager_payload(kit.am_alert(status="resolved")), headers=AUTH)
    assert resolved.json()["incidents"] == [fired]
    assert _wait(f"resolve-{fired}") is True
    incident = client.get(f"/v1/incidents/{fired}", headers=kit.bearer("viewer")).json()
    assert incident["status"] == "resolved" and incident["ends_at"].startswith("2026-12-06T02:00")
    # a resolution that arrives first opens a resolved incident and triages nothing
    late = kit.alertmanager_payload(kit.am_alert("OnlyResolved", "1111222233334444", status="resolved"))
    iid = client.post(AM, json=late, headers=AUTH).json()["incidents"][0]
    _wait(f"resolve-{iid}")
    assert services.incidents.get(iid).status == "resolved"
    assert DBOS.list_workflows(workflow_ids=[f"triage-{iid}"]) == []
    assert _triage_reports(services) == 1


def test_two_app_instances_on_one_database_triage_once(service_factory, kit):
    (one, services), (two, _) = service_factory(), service_factory()
    payload = kit.alertmanager_payload(kit.am_alert())
    a = one.post(AM, json=payload, headers=AUTH).json()
    b = two.post(AM, json=payload, headers=AUTH).json()
    assert a == b
    _wait(f"triage-{a['incidents'][0]}")
    assert _triage_reports(services) == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not JSON"),
        (b'{"version": "4"}', "no alerts"),
        (b'{"version": "3", "alerts": [{"labels": {"alertname": "X"}}]}', "version"),
        (b'{"version": "4", "alerts": []}', "no alerts"),
        (b'{"version": "4", "alerts": [{"labels": {"severity": "x"}}]}', "alertname"),
        (
            b'{"version": "4", "alerts": [{"labels": {"alertname": "X"}, "startsAt": "yesterday"}]}',
            "RFC 3339",
        ),
        (b"[1, 2]", "no alerts"),
        (b"\xff\xfe", "UTF-8"),
    ],
)
def test_malformed_alertmanager_payload_is_422_with_reason(service, body, reason):
    client, services = service
    r = client.post(AM, content=body, headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert reason in r.json()["detail"]
    assert services.incidents.list() == []


def test_body_over_the_limit_is_413_declared_or_streamed(service_factory, kit):
    client, services = service_factory(max_body_bytes=2048)
    big = kit.alertmanager_payload(*[kit.am_alert(fingerprint=f"{i:016x}") for i in range(40)])
    r = client.post(AM, json=big, headers=AUTH)
    assert r.status_code == 413
    # no Content-Length (chunked): the streamed size is checked too
    chunks = (json.dumps(big)[i : i + 512].encode() for i in range(0, len(json.dumps(big)), 512))
    r = client.post(AM, content=chunks, headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 413
    assert services.incidents.list() == []


def _pd_event(kind: str = "incident.triggered", incident: str = "Q1ABCDEF") -> bytes:
    event = {
        "event": {
            "id": "01DEF",
            "event_type": kind,
            "resource_type": "incident",
            "occurred_at": "2026-12-06T01:05:00.000Z",
            "data": {
                "id": incident,
                "type": "incident",
                "title": "Fraud scorer latency high",
                "status": "triggered",
                "urgency": "high",
                "service": {"id": "PSVC", "summary": "fraud-scorer"},
                "html_url": "https://example.pagerduty.com/incidents/Q1ABCDEF",
            },
        }
    }
    return json.dumps(event).encode()


@pytest.mark.parametrize(
    "signatures",
    [
        lambda body: pagerduty_signature(PD_SECRETS[0], body),  # newest secret
        lambda body: pagerduty_signature(PD_SECRETS[1], body),  # older secret, still accepted while rotating
        lambda body: f"v1=deadbeef,{pagerduty_signature(PD_SECRETS[1], body)}",  # several signatures
    ],
)
def test_pagerduty_signature_accepted_during_rotation(service, signatures):
    client, _ = service
    body = _pd_event()
    r = client.post(PD, content=body, headers={"X-PagerDuty-Signature": signatures(body)})
    assert r.status_code == 202, r.text
    assert r.json()["accepted"] == 1


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "v1=deadbeef",
        "v0=" + "0" * 64,
        pagerduty_signature("retired-secret-0123456789", _pd_event()),
    ],
)
def test_pagerduty_bad_signature_is_401(service, signature):
    client, services = service
    headers = {} if signature is None else {"X-PagerDuty-Signature": signature}
    assert client.post(PD, content=_pd_event(), headers=headers).status_code == 401
    assert services.incidents.list() == []


def test_pagerduty_signature_over_a_changed_body_fails(service):
    client, _ = service
    signature = pagerduty_signature(PD_SECRETS[0], _pd_event())
    tampered = _pd_event(incident="Q9OTHER")
    assert client.post(PD, content=tampered, headers={"X-PagerDuty-Signature": signature}).status_code == 401


def test_pagerduty_trigger_then_resolve_is_one_incident(service, kit):
    client, _ = service

    def send(body: bytes) -> Any:
        return client.post(
            PD, content=body, headers={"X-PagerDuty-Signature": pagerduty_signature(PD_SECRETS[0], body)}
        )

    fired = send(_pd_event()).json()["incidents"]
    _wait(f"triage-{fired[0]}")
    assert send(_pd_event("incident.acknowledged")).json() == {"accepted": 0, "incidents": []}
    resolved = send(_pd_event("incident.resolved")).json()["incidents"]
    assert resolved == fired
    _wait(f"resolve-{fired[0]}")
    assert (
        client.get(f"/v1/incidents/{fired[0]}", headers=kit.bearer("viewer")).json()["status"] == "resolved"
    )


def test_pagerduty_malformed_event_is_422(service):
    client, _ = service
    body = b'{"event": {"event_type": "incident.triggered", "data": {}}}'
    r = client.post(
        PD, content=body, headers={"X-PagerDuty-Signature": pagerduty_signature(PD_SECRETS[0], body)}
    )
    assert r.status_code == 422 and "incident id" in r.json()["detail"]


def test_payload_repeating_an_alert_opens_one_incident_and_one_workflow(service, kit):
    client, services = service
    repeated = kit.am_alert()
    payload = kit.alertmanager_payload(
        repeated, kit.am_alert("ChargebackDrift", "fedcba9876543210"), repeated
    )
    body = client.post(AM, json=payload, headers=AUTH).json()
    assert body["accepted"] == 2 and len(set(body["incidents"])) == 2
    for iid in body["incidents"]:
        _wait(f"triage-{iid}")
    assert len(services.incidents.list()) == 2
    assert len(DBOS.list_workflows(name="referent.triage")) == 2
    assert _triage_reports(services) == 2


def test_concurrent_deliveries_are_group_committed_once_and_a_bad_one_fails_alone(service, kit, monkeypatch):
    import asyncio

    from agents.triage import AlertError
    from api.workers import triage

    _, services = service
    commits: list[int] = []
    real_commit = triage._commit

    def counting(services_: Any, batches: list[Any]) -> None:
        commits.append(len(batches))
        real_commit(services_, batches)

    monkeypatch.setattr(triage, "_commit", counting)
    payload = kit.alertmanager_payload(kit.am_alert())

    async def deliver() -> list[Any]:
        calls = [triage.enqueue_alerts_async(services, payload, "alertmanager") for _ in range(20)]
        calls.append(triage.enqueue_alerts_async(services, {"alerts": "not a list"}, "alertmanager"))
        return await asyncio.gather(*calls, return_exceptions=True)

    results = asyncio.run(deliver())
    assert isinstance(results[-1], AlertError)
    assert all(r == results[0] for r in results[:-1]) and len(results[0]) == 1
    assert sum(commits) == 20 and len(commits) < 20  # grouped, every good delivery in a commit
    (iid,) = results[0]
    assert _wait(f"triage-{iid}") is not None
    assert [i.id for i in services.incidents.list()] == [iid]
    assert len(DBOS.list_workflows(name="referent.triage")) == 1
    assert _triage_reports(services) == 1


def test_failed_group_commit_answers_no_2xx_and_the_retry_is_accepted(service, kit, monkeypatch):
    from api.workers import triage

    client, services = service
    real_commit = triage._commit

    def broken(services_: Any, batches: list[Any]) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(triage, "_commit", broken)
    payload = kit.alertmanager_payload(kit.am_alert())
    with pytest.raises(OSError):
        client.post(AM, json=payload, headers=AUTH)
    assert services.incidents.list() == []
    monkeypatch.setattr(triage, "_commit", real_commit)
    retry = client.post(AM, json=payload, headers=AUTH)
    assert retry.status_code == 202
    (iid,) = retry.json()["incidents"]
    assert _wait(f"triage-{iid}") is not None
