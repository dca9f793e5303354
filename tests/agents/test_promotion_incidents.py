"""Open incidents derived from stored triage reports (real state database: SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agents.promotion.gates import incidents as incidents_gate
from agents.promotion.incidents import alert_resolved, open_incidents
from agents.promotion.models import GateStatus, IncidentFacts, PromotionFacts
from agents.reports import ReportStore
from guardrails.store.db import Database

WEEK = timedelta(days=7)


def _alert(fingerprint: str, model: str = "fraud-x", **kw: Any) -> dict[str, Any]:
    return {
        "alertname": "ModelServingErrorRateHigh",
        "fingerprint": fingerprint,
        "status": "firing",
        "labels": {"model": model},
        **kw,
    }


def _save(store: ReportStore, alert: dict[str, Any], **body: Any) -> str:
    return store.save(
        kind="triage",
        run_id="t",
        subject=f"{alert['alertname']}:{alert['fingerprint']}",
        body_json=json.dumps({"alert": alert, "abstained": False, **body}),
        markdown="",
    )


@pytest.fixture
def store(state_db_url: str) -> ReportStore:
    return ReportStore(Database(state_db_url))


def _open(store: ReportStore, model: str = "fraud-x") -> list[dict[str, Any]]:
    return open_incidents(store, model, now=datetime.now(UTC), lookback=WEEK)


def test_a_diagnosed_firing_alert_is_open(store: ReportStore) -> None:
    rid = _save(store, _alert("aaa"))
    found = _open(store)
    assert [f["id"] for f in found] == [rid]
    assert _open(store, "other-model") == []


def test_a_resolved_incident_does_not_block(store: ReportStore) -> None:
    _save(store, _alert("aaa"))
    _save(store, _alert("aaa", status="resolved"))  # the latest report of that alert says resolved
    assert _open(store) == []
    facts = PromotionFacts(
        model="fraud-x", version="2", target="production", incidents=IncidentFacts(open_reports=_open(store))
    )
    assert incidents_gate.check(facts).status is GateStatus.PASS


def test_a_closed_status_and_a_past_end_time_close_the_incident(store: ReportStore) -> None:
    _save(store, _alert("bbb"), status="mitigated")
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    _save(store, _alert("ccc", ends_at=past))
    assert _open(store) == []


def test_abstentions_do_not_block(store: ReportStore) -> None:
    _save(store, _alert("ddd"), abstained=True)
    assert _open(store) == []


def test_only_the_latest_report_per_alert_counts(store: ReportStore) -> None:
    _save(store, _alert("eee"), abstained=True)
    rid = _save(store, _alert("eee"))  # re-triaged: now diagnosed
    assert [f["id"] for f in _open(store)] == [rid]


def test_reports_older_than_the_lookback_are_ignored(store: ReportStore) -> None:
    _save(store, _alert("fff"))
    later = datetime.now(UTC) + timedelta(days=8)
    assert open_incidents(store, "fraud-x", now=later, lookback=WEEK) == []


def test_alert_resolved_reads_status_and_end_time() -> None:
    now = datetime.now(UTC)
    assert alert_resolved({"alert": {"status": "resolved"}}, now)
    assert alert_resolved({"alert": {"ends_at": "2020-01-01T00:00:00Z"}}, now)
    assert not alert_resolved({"alert": {"ends_at": (now + timedelta(hours=1)).isoformat()}}, now)
    assert not alert_resolved({"alert": {"status": "firing"}}, now)


# --- the incidents table (migration 0006) ----------------------------------------------------------


def _incident(fingerprint: str, status: str, model: str = "fraud-x") -> Any:
    from api.service.incidents import Incident, incident_id

    starts = datetime.now(UTC) - timedelta(hours=1)
    return Incident(
        id=incident_id(fingerprint, starts),
        fingerprint=fingerprint,
        alertname="ModelServingErrorRateHigh",
        status=status,
        severity="critical",
        source="alertmanager",
        labels={"alertname": "ModelServingErrorRateHigh", "model": model},
        annotations={},
        starts_at=starts,
        ends_at=None,
    )


def test_an_open_incident_row_blocks_and_a_resolved_one_does_not(store: ReportStore) -> None:
    from api.service.incidents import IncidentStore

    incidents = IncidentStore(store.db)
    open_one = _incident("f-open", "open")
    incidents.open(open_one)
    incidents.open(_incident("f-other-model", "open", model="other"))
    found = _open(store)
    assert [f["id"] for f in found] == [open_one.id] and found[0]["status"] == "open"
    incidents.resolve(open_one.id, datetime.now(UTC))
    assert _open(store) == []


def test_a_resolved_incident_row_closes_its_alerts_reports(store: ReportStore) -> None:
    from api.service.incidents import IncidentStore

    _save(store, _alert("f-res"))  # the report says firing...
    incidents = IncidentStore(store.db)
    row = _incident("f-res", "open")
    incidents.open(row)
    assert [f["fingerprint"] for f in _open(store)] == ["f-res"]
    incidents.resolve(row.id, datetime.now(UTC))  # ...the service has since seen it resolve
    assert _open(store) == []


def test_an_incident_whose_latest_report_abstained_does_not_block(store: ReportStore) -> None:
    from api.service.incidents import IncidentStore

    IncidentStore(store.db).open(_incident("f-abs", "open"))
    _save(store, _alert("f-abs"), abstained=True)
    assert _open(store) == []
