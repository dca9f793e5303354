"""REST /v1: roles (viewer < operator < approver < admin), incidents, triage, approvals, audit, ops."""

from __future__ import annotations

import pytest
from dbos import DBOS

from guardrails.errors import ApprovalRequired
from guardrails.gateway import CallContext

ROUTES = [
    ("get", "/v1/incidents", "viewer"),
    ("get", "/v1/rightsizing", "viewer"),
    ("get", "/v1/finops/reports", "viewer"),
    ("get", "/v1/promotions", "viewer"),
    ("get", "/v1/approvals", "viewer"),
    ("get", "/v1/audit/verify", "viewer"),
    ("post", "/v1/triage", "operator"),
    ("post", "/v1/approvals/apr-unknown/approve", "approver"),
    ("get", "/v1/audit", "admin"),
]
ORDER = ["viewer", "operator", "approver", "admin"]


@pytest.mark.parametrize(("method", "path", "least"), ROUTES)
def test_roles_on_v1(service, kit, method, path, least):
    client, _ = service
    body = {"alert": kit.am_alert()} if path == "/v1/triage" else {}
    kwargs = {"json": body} if method == "post" else {}
    assert getattr(client, method)(path, **kwargs).status_code == 401
    bad = {"Authorization": "Bearer not-a-token-0123456789"}
    assert getattr(client, method)(path, headers=bad, **kwargs).status_code == 401
    for role in ORDER:
        status = getattr(client, method)(path, headers=kit.bearer(role), **kwargs).status_code
        if ORDER.index(role) < ORDER.index(least):
            assert status == 403, (role, status)
        else:
            assert status not in (401, 403), (role, status)


def test_incident_list_and_get(service, kit):
    client, _ = service
    auth = {"Authorization": f"Bearer {kit.AM_TOKEN}"}
    iid = client.post(
        "/v1/alerts/alertmanager", json=kit.alertmanager_payload(kit.am_alert()), headers=auth
    ).json()["incidents"][0]
    DBOS.retrieve_workflow(f"triage-{iid}").get_result()
    listed = client.get("/v1/incidents", headers=kit.bearer("viewer")).json()["incidents"]
    assert [i["id"] for i in listed] == [iid]
    assert client.get("/v1/incidents?status=resolved", headers=kit.bearer("viewer")).json()["incidents"] == []
    got = client.get(f"/v1/incidents/{iid}", headers=kit.bearer("viewer")).json()
    assert got["alertname"] == "FraudScorerHighLatency" and got["reports"][0]["alert"]["fingerprint"]
    assert client.get("/v1/incidents/inc-missing", headers=kit.bearer("viewer")).status_code == 404


def test_triage_endpoint_runs_now_and_resolved_proposes_no_write(service, kit):
    client, services = service
    r = client.post("/v1/triage", json={"alert": kit.am_alert()}, headers=kit.bearer("operator"))
    assert r.status_code == 200 and r.json()["report_id"]
    assert services.reports.get(r.json()["report_id"]) is not None
    resolved = client.post(
        "/v1/triage", json={"alert": kit.am_alert(status="resolved")}, headers=kit.bearer("operator")
    ).json()
    assert resolved["next_actions"] == []
    bad = client.post("/v1/triage", json={"alert": {"labels": {}}}, headers=kit.bearer("operator"))
    assert bad.status_code == 422 and "alertname" in bad.json()["detail"]
    runs = {r.run_id for r in services.runtime.audit.tail(limit=500) if r.principal == "agent:triage"}
    assert len(runs) == 2


def _pending_approval(services, run: int = 1) -> str:
    ctx = CallContext(principal="agent:promotion", run_id=f"promotion-test-{run}", requested_by="user:ana")
    args = {"model": "fraud-scorer", "alias": "champion", "version": 3}
    with pytest.raises(ApprovalRequired) as info:
        services.runtime.gateway.call(ctx, "mlflow.set_alias", args)
    return info.value.approval_id


def test_approve_and_deny_as_the_token_principal(service, kit):
    client, services = service
    first = _pending_approval(services)
    pending = client.get("/v1/approvals", headers=kit.bearer("viewer")).json()["approvals"]
    assert [a["id"] for a in pending] == [first]
    # an admin token not named an approver by the policy is refused by the gateway
    assert (
        client.post(f"/v1/approvals/{first}/approve", json={}, headers=kit.bearer("admin")).status_code == 409
    )
    ok = client.post(f"/v1/approvals/{first}/approve", json={"note": "go"}, headers=kit.bearer("approver"))
    assert ok.status_code == 200 and ok.json()["decided_by"] == "token:release-manager"
    assert ok.json()["status"] == "approved"
    assert (
        client.post(f"/v1/approvals/{first}/deny", json={}, headers=kit.bearer("approver")).status_code == 409
    )
    second = _pending_approval(services, run=2)
    assert second != first
    denied = client.post(f"/v1/approvals/{second}/deny", json={}, headers=kit.bearer("approver")).json()
    assert denied["status"] == "denied"
    approvals = [r for r in services.runtime.audit.tail(limit=200) if r.kind == "approval"]
    assert {r.approver for r in approvals} >= {"token:release-manager"}


def test_audit_tail_and_verify(service, kit):
    client, services = service
    _pending_approval(services)
    tail = client.get("/v1/audit?limit=5", headers=kit.bearer("admin")).json()["records"]
    assert tail and tail[-1]["tool"] == "mlflow.set_alias"
    verify = client.get("/v1/audit/verify", headers=kit.bearer("viewer")).json()
    assert verify["ok"] is True and verify["records"] >= 1


def test_runbook_v1_and_stable_url(service, kit):
    client, _ = service
    names = client.get("/runbooks").json()["runbooks"]
    assert names
    got = client.get(f"/v1/runbooks/{names[0]}", headers=kit.bearer("viewer")).json()
    assert got["markdown"] and got["url"].endswith(f"/runbooks/{names[0]}")
    assert client.get(f"/runbooks/{names[0]}").status_code == 200
    assert client.get("/v1/runbooks/NoSuchAlertAnywhere", headers=kit.bearer("viewer")).status_code == 404


def test_health_ready_and_metrics(service, kit):
    client, _ = service
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"
    auth = {"Authorization": f"Bearer {kit.AM_TOKEN}"}
    iid = client.post(
        "/v1/alerts/alertmanager", json=kit.alertmanager_payload(kit.am_alert()), headers=auth
    ).json()["incidents"][0]
    DBOS.retrieve_workflow(f"triage-{iid}").get_result()
    text = client.get("/metrics").text
    assert 'referent_alerts_received_total{outcome="firing",source="alertmanager"} 1.0' in text
    assert (
        'referent_http_requests_total{method="POST",route="/v1/alerts/alertmanager",status="202"} 1.0' in text
    )
    assert "referent_triage_seconds_count 1.0" in text
    assert 'referent_incidents{status="open"} 1.0' in text
    assert 'referent_gateway_calls_total{kind="tool"' in text
    assert 'referent_pseudonyms{entity_type="EMAIL_ADDRESS"}' in text


def test_readyz_probes_configured_sources(service_factory, kit, tmp_path):
    import socket

    from api.routes.ops import _sources

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    _, services = service_factory()
    services.runtime.platform.prometheus_url = f"http://127.0.0.1:{dead}"
    checks = _sources(services)
    assert checks["prometheus"].startswith("unreachable") and checks["feast"] == "not configured"


def test_request_logs_carry_no_content(service, kit, caplog):
    client, _ = service
    caplog.set_level("INFO", logger="referent.http")
    auth = {"Authorization": f"Bearer {kit.AM_TOKEN}"}
    client.post("/v1/alerts/alertmanager", json=kit.alertmanager_payload(kit.am_alert()), headers=auth)
    client.get("/v1/incidents/inc-ana.silva@example.com", headers=kit.bearer("viewer"))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert (
        '"route": "/v1/alerts/alertmanager"' in logged and '"route": "/v1/incidents/{incident_id}"' in logged
    )
    assert "ana.silva" not in logged and kit.AM_TOKEN not in logged
