"""Alert webhooks: Alertmanager (payload v4, bearer token) and PagerDuty (v3, ``v1=`` HMAC signatures).

Both answer 202 ``{"accepted": N, "incidents": [...]}`` only after every alert of the delivery is
committed durably (its incident row and its DBOS workflow); anything that fails before that answers
an error, so the sender retries and nothing accepted is lost.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from api.routes.deps import get_services
from api.routes.errors import RESPONSES, Unauthorized, Unprocessable
from api.routes.intake import pagerduty_alerts, pagerduty_verified, parse_json, read_limited
from api.service.services import Services

router = APIRouter(tags=["alerts"], responses=RESPONSES)

_JSON_BODY: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}
}


def _header_param(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": False,
        "schema": {"type": "string"},
        "description": description,
    }


# The routes read their one header and the services from the request themselves (no dependency
# solving per delivery: the hot path of a storm); the header stays documented in the OpenAPI.
_ALERTMANAGER = {
    **_JSON_BODY,
    "parameters": [_header_param("authorization", "Bearer <REFERENT_ALERTMANAGER_TOKEN>")],
}
_PAGERDUTY = {
    **_JSON_BODY,
    "parameters": [_header_param("x-pagerduty-signature", "v1=<hex HMAC-SHA256>[,v1=…]")],
}


class Accepted(BaseModel):
    """What a webhook delivery committed: the number of distinct alerts and their incidents."""

    accepted: int
    incidents: list[str]


async def _enqueue(services: Services, alerts: Any, source: str) -> Response:
    from api.workers.triage import enqueue_alerts_async

    try:
        ids = await enqueue_alerts_async(services, alerts, source)
    except Exception:
        services.metrics.alerts.labels(source=source, outcome="rejected").inc()
        raise
    return _accepted(ids)


def _accepted(ids: list[str]) -> Response:
    """The 202 :class:`Accepted` body, encoded directly (the model stays the documented response)."""
    body = json.dumps({"accepted": len(ids), "incidents": ids}, separators=(",", ":"))
    return Response(body, status_code=202, media_type="application/json")


@router.post(
    "/v1/alerts/alertmanager",
    status_code=202,
    response_model=Accepted,
    openapi_extra=_ALERTMANAGER,
)
async def alertmanager(request: Request) -> Response:
    """Alertmanager webhook (payload version 4) with ``Authorization: Bearer <REFERENT_ALERTMANAGER_TOKEN>``."""
    services = get_services(request)
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not services.settings.alertmanager_ok(token.strip()):
        raise Unauthorized("missing or wrong bearer token")
    body = await read_limited(request.headers, request.stream(), services.settings.max_body_bytes)
    payload = parse_json(body)
    if not isinstance(payload, dict) or "alerts" not in payload:
        raise Unprocessable("not an Alertmanager webhook payload: no alerts list")
    return await _enqueue(services, payload, "alertmanager")


@router.post(
    "/v1/alerts/pagerduty",
    status_code=202,
    response_model=Accepted,
    openapi_extra=_PAGERDUTY,
)
async def pagerduty(request: Request) -> Response:
    """PagerDuty v3 webhook; ``X-PagerDuty-Signature`` must verify with one of REFERENT_PAGERDUTY_SECRETS."""
    services = get_services(request)
    body = await read_limited(request.headers, request.stream(), services.settings.max_body_bytes)
    signature = request.headers.get("x-pagerduty-signature")
    if not pagerduty_verified(signature, body, services.settings.pagerduty_secrets):
        raise Unauthorized("missing or wrong PagerDuty signature")
    alerts = pagerduty_alerts(parse_json(body))
    if not alerts:
        return _accepted([])
    return await _enqueue(services, alerts, "pagerduty")
