"""Alert webhooks: Alertmanager (payload v4, bearer token) and PagerDuty (v3, ``v1=`` HMAC signatures).

Both answer 202 ``{"accepted": N, "incidents": [...]}`` only after every alert of the delivery is
committed durably (its incident row and its DBOS workflow); anything that fails before that answers
an error, so the sender retries and nothing accepted is lost.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api.routes.deps import ServicesDep
from api.routes.errors import RESPONSES, Unauthorized, Unprocessable
from api.routes.intake import pagerduty_alerts, pagerduty_verified, parse_json, read_limited
from api.service.services import Services

router = APIRouter(tags=["alerts"], responses=RESPONSES)

_JSON_BODY: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}
}


class Accepted(BaseModel):
    """What a webhook delivery committed: the number of distinct alerts and their incidents."""

    accepted: int
    incidents: list[str]


async def _enqueue(services: Services, alerts: Any, source: str) -> Accepted:
    from api.workers.triage import enqueue_alerts

    try:
        ids = await run_in_threadpool(enqueue_alerts, services, alerts, source)
    except Exception:
        services.metrics.alerts.labels(source=source, outcome="rejected").inc()
        raise
    return Accepted(accepted=len(ids), incidents=ids)


@router.post(
    "/v1/alerts/alertmanager",
    status_code=202,
    response_model=Accepted,
    openapi_extra=_JSON_BODY,
)
async def alertmanager(
    request: Request,
    services: ServicesDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Accepted:
    """Alertmanager webhook (payload version 4) with ``Authorization: Bearer <REFERENT_ALERTMANAGER_TOKEN>``."""
    scheme, _, token = (authorization or "").partition(" ")
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
    openapi_extra=_JSON_BODY,
)
async def pagerduty(
    request: Request,
    services: ServicesDep,
    x_pagerduty_signature: Annotated[str | None, Header()] = None,
) -> Accepted:
    """PagerDuty v3 webhook; ``X-PagerDuty-Signature`` must verify with one of REFERENT_PAGERDUTY_SECRETS."""
    body = await read_limited(request.headers, request.stream(), services.settings.max_body_bytes)
    if not pagerduty_verified(x_pagerduty_signature, body, services.settings.pagerduty_secrets):
        raise Unauthorized("missing or wrong PagerDuty signature")
    alerts = pagerduty_alerts(parse_json(body))
    if not alerts:
        return Accepted(accepted=0, incidents=[])
    return await _enqueue(services, alerts, "pagerduty")
