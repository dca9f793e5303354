"""The Slack app (slack-bolt, HTTP mode): ``POST /slack/events`` for commands and interactions.

:func:`build_router` wires a bolt ``App`` whose signing secret is ``REFERENT_SLACK_SIGNING_SECRET``
and whose client points at ``REFERENT_SLACK_API_URL`` with ``REFERENT_SLACK_BOT_TOKEN``; it registers
the ``referent.*`` command tools on the gateway (once per gateway). Bolt verifies every request (v0
HMAC over ``v0:{timestamp}:{body}``, 5-minute window): a bad or stale signature gets 401 and runs
nothing. Requests go through bolt's Starlette/FastAPI adapter conversion, dispatched in a worker
thread so the event loop never waits for a listener. Without a signing secret or bot token the route answers 503.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk import WebClient

from api.slack import commands
from api.slack.listeners import register
from guardrails.errors import UnknownTool

log = logging.getLogger("referent.slack")

EVENTS_PATH = "/slack/events"


def register_command_tools(services: Any) -> None:
    """Register the ``referent.*`` command tools on the services' gateway (idempotent)."""
    gateway = services.runtime.gateway
    try:
        gateway.spec("referent.help")
    except UnknownTool:
        gateway.register_all(commands.specs(services.runtime.approvals.pending))


def build_bolt_app(services: Any) -> App:
    """The bolt app with its listeners; raises ``ValueError`` without a signing secret or bot token."""
    secret = services.settings.slack_signing_secret
    if secret is None:
        raise ValueError("REFERENT_SLACK_SIGNING_SECRET is not set")
    platform = services.runtime.platform
    if platform.slack_bot_token is None:
        raise ValueError("REFERENT_SLACK_BOT_TOKEN is not set")
    token = platform.slack_bot_token.get_secret_value()
    app = App(
        client=WebClient(token=token, base_url=platform.slack_api_url),  # bolt takes the token from it
        signing_secret=secret.get_secret_value(),
        token_verification_enabled=False,  # no auth.test call at start
    )
    register(app, services)
    return app


def build_router(services: Any) -> APIRouter:
    """``POST /slack/events``: commands and interactions of the Slack app."""
    router = APIRouter(tags=["slack"])
    register_command_tools(services)
    try:
        bolt = build_bolt_app(services)
    except ValueError as exc:
        reason = str(exc)

        @router.post(EVENTS_PATH, include_in_schema=False)
        async def slack_not_configured() -> Response:
            return JSONResponse({"detail": f"Slack is not configured: {reason}"}, status_code=503)

        return router

    @router.post(EVENTS_PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        body = await request.body()
        bolt_response = await run_in_threadpool(bolt.dispatch, to_bolt_request(request, body))
        return to_starlette_response(bolt_response)

    return router
