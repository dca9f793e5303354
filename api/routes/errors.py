"""The service's HTTP errors and the one place every error becomes an HTTP answer.

Errors::

    ServiceError (Exception)            status, reason
    ├── Unauthorized        401         no or unknown bearer token / webhook signature
    ├── Forbidden           403         the token's role is below the route's
    ├── NotFoundError       404         no such incident / report / runbook
    ├── BodyTooLarge        413         body over REFERENT_MAX_BODY_BYTES
    ├── Unprocessable       422         malformed JSON or not an alert payload
    └── Unavailable         503         DBOS not launched, database unreachable

Mapped as well: ``agents.triage.AlertError`` → 422, ``tools.errors.NotFound`` → 404,
``tools.errors.BadInput`` → 400, ``guardrails`` approval errors → 409, policy denials → 403,
identity errors → 401, ``StoreError`` → 503. Answers are ``{"detail": "<reason>"}``; reasons never
echo the request body.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

log = logging.getLogger("referent.http")


class ServiceError(Exception):
    status = 500

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Unauthorized(ServiceError):
    status = 401


class Forbidden(ServiceError):
    status = 403


class NotFoundError(ServiceError):
    status = 404


class BodyTooLarge(ServiceError):
    status = 413


class Unprocessable(ServiceError):
    status = 422


class Unavailable(ServiceError):
    status = 503


class ErrorOut(BaseModel):
    """Every error answer: the reason, never the request's content."""

    detail: str | list[Any]


RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": text}
    for code, text in {
        400: "bad input",
        401: "missing or unknown credentials",
        403: "role or policy refuses",
        404: "not found",
        409: "conflict (approval not pending, not an approver)",
        413: "body too large",
        422: "malformed request",
        503: "not ready",
    }.items()
}


JSON_ERROR: dict[str, Any] = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}


ALERT_NAME_PARAM: dict[str, Any] = {
    "parameters": [
        {
            "name": "alert",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,200}$"},
        }
    ]
}


def _table() -> list[tuple[type[Exception], int]]:
    from agents.triage import AlertError
    from guardrails.approvals import ApprovalError
    from guardrails.errors import (
        ApprovalRequired,
        BudgetExceeded,
        GatewayError,
        InvalidArguments,
        PolicyDenied,
        ToolFailed,
    )
    from guardrails.identity import IdentityError
    from guardrails.store.db import StoreError
    from tools.errors import BadInput, NotFound

    return [
        (AlertError, 422),
        (NotFound, 404),
        (BadInput, 400),
        (ApprovalError, 409),
        (IdentityError, 401),
        (StoreError, 503),
        (PolicyDenied, 403),
        (ApprovalRequired, 409),
        (InvalidArguments, 422),
        (BudgetExceeded, 429),
        (ToolFailed, 502),
        (GatewayError, 403),
    ]


def install(app: FastAPI) -> None:
    """Register the handlers (service errors and the layers' errors listed in the module docstring)."""

    async def service(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ServiceError)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse({"detail": exc.reason}, status_code=exc.status, headers=headers)

    app.add_exception_handler(ServiceError, service)
    table = _table()

    async def layer(_: Request, exc: Exception) -> JSONResponse:
        status = next(code for kind, code in table if isinstance(exc, kind))
        return JSONResponse({"detail": getattr(exc, "message", None) or str(exc)}, status_code=status)

    for kind, _status in table:
        app.add_exception_handler(kind, layer)

    async def method_not_allowed(request: Request, exc: Exception) -> JSONResponse:
        """405 with an ``Allow`` header naming every route's methods on this path (Starlette names only
        the first route that matched the path, so a GET and a POST route on one path disagree)."""
        from starlette.routing import Match

        allowed: set[str] = set()
        for route in app.router.routes:  # PARTIAL: the path matches, the method does not
            if route.matches(request.scope)[0] is not Match.NONE:
                allowed |= set(getattr(route, "methods", None) or ())
        detail = getattr(exc, "detail", "Method Not Allowed")
        return JSONResponse(
            {"detail": detail}, status_code=405, headers={"Allow": ", ".join(sorted(allowed))}
        )

    app.add_exception_handler(405, method_not_allowed)
