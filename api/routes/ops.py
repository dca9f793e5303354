"""Operations: ``/healthz`` (the process answers), ``/readyz`` (database, workers, sources' health),
``/metrics`` (Prometheus text format, this app's registry)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from api.routes.deps import ServicesDep
from api.service.services import Services

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


PROBES = {"prometheus": "/-/ready", "mlflow": "/health"}


def _probe(url: str, path: str) -> str:
    """``ok`` when the source answers its health endpoint within a second, else why not."""
    try:
        response = httpx.get(url.rstrip("/") + path, timeout=1.0)
    except httpx.HTTPError as exc:
        return f"unreachable ({type(exc).__name__})"
    return "ok" if response.status_code < 400 else f"unhealthy (HTTP {response.status_code})"


def _sources(services: Services) -> dict[str, str]:
    platform = services.runtime.platform
    checks: dict[str, str] = {}
    for source, url in (("prometheus", platform.prometheus_url), ("mlflow", platform.mlflow_tracking_uri)):
        is_http = bool(url) and str(url).startswith(("http://", "https://"))
        checks[source] = (
            _probe(str(url), PROBES[source]) if is_http else ("configured" if url else "not configured")
        )
    for source, value in (("feast", platform.feast_repo), ("billing", platform.billing_path)):
        checks[source] = "configured" if value else "not configured"
    return checks


def _checks(services: Services) -> dict[str, str]:
    from api.workers import dbos_app

    checks: dict[str, str] = {}
    try:
        with services.runtime.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # readiness reports, it does not raise
        checks["database"] = f"error: {type(exc).__name__}"
    checks["workers"] = "ok" if dbos_app.launched() else "error: DBOS not launched"
    socket = services.extra.get("slack_socket")
    if socket is not None:  # Socket Mode: reported, not required (commands wait for the reconnect)
        checks["slack_socket"] = "connected" if socket.connected else "connecting"
    return {**checks, **_sources(services)}


@router.get("/readyz", responses={503: {"description": "not ready"}})
async def readyz(services: ServicesDep) -> Any:
    """Ready when the state database answers and DBOS is launched; reports each source's health.

    A down source does not make the service unready: triage then reports the source as missing. With Slack
    Socket Mode, ``slack_socket`` says whether this replica's connection is up (``connected`` / ``connecting``).
    """
    checks = await run_in_threadpool(_checks, services)
    ready = checks["database"] == "ok" and checks["workers"] == "ok"
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


@router.get("/metrics", response_class=Response)
async def metrics(request: Request, services: ServicesDep) -> Response:
    """Prometheus metrics of this app (requests, intake, triage latency, queue, gateway calls, cost)."""
    body = await run_in_threadpool(services.metrics.exposition)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
