"""Server-rendered report pages, linked from the Slack messages.

- ``GET /incidents/{id}``: the incident's status, its alert, and every triage report with its evidence;
- ``GET /finops/reports/{id}``: the FinOps report as HTML with its SVG charts (the same page
  ``referent finops report --out`` writes).

The reports hold redacted content only (they are built from gateway output). Pages carry a strict
Content-Security-Policy (no script, no external resource). Unknown ids answer a 404 page.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from api.pages.render import incident_page, not_found_page

HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _page(html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def _incident_html(services: Any, incident_id: str) -> tuple[str, int]:
    incident = services.incidents.get(incident_id)
    if incident is None:
        return not_found_page(f"No incident {incident_id}."), 404
    stored = [services.reports.get(rid) for rid in incident.report_ids]
    return incident_page(incident, [s for s in stored if s is not None and s.kind == "triage"]), 200


def _finops_html(services: Any, report_id: str) -> tuple[str, int]:
    from agents.finops.models import FinOpsReport
    from agents.finops.render import to_html

    stored = services.reports.get(report_id)
    if stored is None or stored.kind != "finops":
        return not_found_page(f"No FinOps report {report_id}."), 404
    report = FinOpsReport.model_validate_json(stored.body_json)
    return to_html(report), 200


def build_router(services: Any) -> APIRouter:
    """The pages router over ``services`` (incidents and the report store)."""
    router = APIRouter(tags=["pages"], include_in_schema=False)

    @router.get("/incidents/{incident_id}", response_class=HTMLResponse)
    async def incident(incident_id: str) -> HTMLResponse:
        return _page(*await run_in_threadpool(_incident_html, services, incident_id))

    @router.get("/finops/reports/{report_id}", response_class=HTMLResponse)
    async def finops_report(report_id: str) -> HTMLResponse:
        return _page(*await run_in_threadpool(_finops_html, services, report_id))

    return router
