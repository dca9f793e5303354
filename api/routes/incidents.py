"""Incidents and on-demand triage: ``GET /v1/incidents``, ``GET /v1/incidents/{id}``, ``POST /v1/triage``."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.routes.deps import Operator, ServicesDep, Viewer
from api.routes.errors import RESPONSES, NotFoundError, Unprocessable
from api.service.services import Services

router = APIRouter(prefix="/v1", tags=["incidents"], responses=RESPONSES)


class IncidentOut(BaseModel):
    """An incident; ``reports`` holds the TriageReport objects (empty until triage is done)."""

    id: str
    fingerprint: str
    alertname: str
    status: str = Field(description="triaging | open | resolved")
    severity: str
    source: str
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: str | None
    ends_at: str | None
    report_ids: list[str]
    slack_channel: str | None
    slack_ts: str | None
    created_at: str | None
    updated_at: str | None
    reports: list[dict[str, Any]] = Field(default_factory=list)


class IncidentList(BaseModel):
    incidents: list[IncidentOut]


class TriageRequest(BaseModel):
    """One alert (Alertmanager, Prometheus or short form) or an Alertmanager v4 payload."""

    alert: dict[str, Any] = Field(description="the alert or payload; its first distinct alert is triaged")


def incident_out(services: Services, incident_id: str, *, with_reports: bool = True) -> IncidentOut:
    """An incident with its stored reports (404 when unknown)."""
    incident = services.incidents.get(incident_id)
    if incident is None:
        raise NotFoundError(f"no incident {incident_id}")
    reports = []
    for report_id in incident.report_ids if with_reports else []:
        stored = services.reports.get(report_id)
        if stored is not None:
            reports.append({**json.loads(stored.body_json), "report_id": stored.id})
    return IncidentOut(**incident.to_dict(), reports=reports)


@router.get("/incidents", response_model=IncidentList)
def list_incidents(
    services: ServicesDep,
    _: Viewer,
    status: str | None = Query(default=None, pattern="^(triaging|open|resolved)$"),
    limit: int = Query(default=50, ge=1, le=500),
) -> IncidentList:
    """Most recent incidents first (without report bodies)."""
    found = services.incidents.list(status=status, limit=limit)
    return IncidentList(incidents=[IncidentOut(**i.to_dict()) for i in found])


@router.get("/incidents/{incident_id}", response_model=IncidentOut)
def get_incident(incident_id: str, services: ServicesDep, _: Viewer) -> IncidentOut:
    """One incident: alert, status and triage reports."""
    return incident_out(services, incident_id)


@router.post("/triage")
async def triage(body: TriageRequest, services: ServicesDep, who: Operator) -> dict[str, Any]:
    """Triage the posted alert now and return the stored TriageReport (a resolved alert proposes no write)."""
    from agents.triage import AlertError, parse_alerts
    from api.workers.triage import triage_now

    try:
        alerts = parse_alerts(body.alert)
    except AlertError as exc:
        raise Unprocessable(str(exc)) from None
    report = await run_in_threadpool(triage_now, services, alerts[0], requested_by=who.principal)
    result: dict[str, Any] = json.loads(report.model_dump_json())
    return result
