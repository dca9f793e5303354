"""The HTTP application: alert webhooks, REST ``/v1``, Slack, report pages, runbooks, operations.

``create_app(services)`` builds the FastAPI app; its lifespan launches DBOS for this process (role
``both`` or ``api``, see :mod:`api.workers.dbos_app`) and stops it at shutdown. Without ``services``
the lifespan builds them from the environment. The runbook library stays at ``/runbooks/<AlertName>``
(the rules' ``runbook_url``) and needs neither.

Logs are one JSON object per request (method, route template, status, milliseconds): no bodies, no
query strings, no path values, so nothing sensitive reaches them.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tools.errors import BadInput, NotFound
from tools.runbook_library import RunbookLibrary

if TYPE_CHECKING:
    from api.service.services import Services

log = logging.getLogger("referent.http")
Role = Literal["both", "api"]


def default_library() -> RunbookLibrary:
    from runbooks import LIBRARY_DIR, REFERENCE_DIR
    from tools.settings import PlatformSettings

    platform = PlatformSettings()
    return RunbookLibrary(platform.runbooks_dir or LIBRARY_DIR, [REFERENCE_DIR], base_url=platform.public_url)


Library = Annotated[RunbookLibrary, Depends(default_library)]


def _lifespan(
    services: Services | None, role: Role, launch_workers: bool
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from api.service.services import build_services
        from api.workers import dbos_app

        owned = services is None
        app.state.services = services or await run_in_threadpool(build_services)
        if launch_workers:
            await run_in_threadpool(dbos_app.launch, app.state.services, role=role)
        try:
            yield
        finally:
            if launch_workers:
                await run_in_threadpool(dbos_app.shutdown)
            if owned:
                app.state.services.close()

    return lifespan


class _Observe:
    """Pure ASGI middleware: count each request by route template and log one content-free JSON line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            services = getattr(scope["app"].state, "services", None) if "app" in scope else None
            if services is not None:
                services.metrics.requests.labels(scope["method"], route, str(status)).inc()
            if log.isEnabledFor(logging.INFO):
                ms = round((time.perf_counter() - started) * 1000, 2)
                log.info(json.dumps({"method": scope["method"], "route": route, "status": status, "ms": ms}))


def _mount_optional(app: FastAPI, services: Services | None) -> None:
    """Mount the Slack and pages routers when those packages are present (they take the services)."""
    if services is None:
        return
    for module in ("api.slack", "api.pages"):
        try:
            imported = __import__(module, fromlist=["build_router"])
        except ImportError as exc:
            if exc.name and (exc.name == module or module.startswith(exc.name)):
                log.info("%s not installed; its routes are not mounted", module)
                continue
            raise
        app.include_router(imported.build_router(services))


def create_app(
    services: Services | None = None, *, role: Role = "both", launch_workers: bool = True
) -> FastAPI:
    """The service's app.

    Args:
        services: the process's services; None builds them from the environment at start (then the
            Slack and pages routers, which need them when the app is built, are not mounted).
        role: ``both`` runs queued workflows in this process, ``api`` only enqueues them.
        launch_workers: launch DBOS in the lifespan (False when the caller launched it already).
    """
    from api.routes import alerts, errors, incidents, ops, v1
    from api.routes.errors import ALERT_NAME_PARAM, JSON_ERROR

    app = FastAPI(title="Referent", version="0.1.0", lifespan=_lifespan(services, role, launch_workers))
    app.state.services = services
    errors.install(app)
    app.add_middleware(_Observe)
    for router in (ops.router, alerts.router, incidents.router, v1.router):
        app.include_router(router)
    _mount_optional(app, services)

    @app.get("/runbooks", tags=["runbooks"])
    def list_runbooks(library: Library) -> dict[str, list[str]]:
        return {"runbooks": library.list()}

    @app.get(
        "/runbooks/{alert}",
        response_class=PlainTextResponse,
        tags=["runbooks"],
        responses={
            code: {"description": text, "content": {"application/json": {"schema": JSON_ERROR}}}
            for code, text in ((400, "bad alert name"), (404, "no runbook"))
        },
        openapi_extra=ALERT_NAME_PARAM,
    )
    def get_runbook(request: Request, library: Library) -> PlainTextResponse:
        try:
            doc = library.find(request.path_params["alert"])  # documented by ALERT_NAME_PARAM
        except BadInput as exc:
            raise HTTPException(status_code=400, detail=exc.message) from None
        except NotFound as exc:
            raise HTTPException(status_code=404, detail=exc.message) from None
        return PlainTextResponse(doc.markdown, media_type="text/markdown; charset=utf-8")

    return app
