"""The Slack app (slack-bolt): ``POST /slack/events`` (HTTP mode) or Socket Mode, one set of listeners.

:func:`build_router` wires a bolt ``App`` whose signing secret is ``REFERENT_SLACK_SIGNING_SECRET``
and whose client points at ``REFERENT_SLACK_API_URL`` with ``REFERENT_SLACK_BOT_TOKEN``; it registers
the ``referent.*`` command tools on the gateway (once per gateway). Bolt verifies every request (v0
HMAC over ``v0:{timestamp}:{body}``, 5-minute window): a bad or stale signature gets 401 and runs
nothing. Requests go through bolt's Starlette/FastAPI adapter conversion, dispatched in a worker
thread so the event loop never waits for a listener. Without a signing secret or bot token the route answers 503.

With ``REFERENT_SLACK_APP_TOKEN`` (``xapp-…``) the router also carries a lifespan that opens this
process's Socket Mode connection (:mod:`api.slack.socket_mode`) to a second bolt app with the same
listeners; it needs the bot token but no signing secret (``POST /slack/events`` then answers 503 unless
a signing secret is set as well). ``REFERENT_SLACK_MODE=http`` keeps the token unused.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
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


def build_bolt_app(services: Any, *, socket_mode: bool = False) -> App:
    """The bolt app with its listeners (the same for both modes).

    Raises:
        ValueError: no bot token; in HTTP mode, no signing secret either.
    """
    platform = services.runtime.platform
    if platform.slack_bot_token is None:
        raise ValueError("REFERENT_SLACK_BOT_TOKEN is not set")
    secret = services.settings.slack_signing_secret
    if secret is None and not socket_mode:
        raise ValueError("REFERENT_SLACK_SIGNING_SECRET is not set")
    token = platform.slack_bot_token.get_secret_value()
    app = App(
        client=WebClient(token=token, base_url=platform.slack_api_url),  # bolt takes the token from it
        signing_secret=secret.get_secret_value() if secret is not None else "",  # Socket Mode: unused
        token_verification_enabled=False,  # no auth.test call at start
    )
    register(app, services)
    return app


def _socket_mode_lifespan(services: Any) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A lifespan that holds this process's Socket Mode connection while the app runs (the client and its
    threads exist only then). Without a bot token it logs why and connects nothing, as HTTP mode answers 503.
    """
    from api.slack.socket_mode import build_runner

    try:
        bolt = build_bolt_app(services, socket_mode=True)
    except ValueError as exc:
        reason = str(exc)
        bolt = None

    @asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        if bolt is None:
            log.error("Slack Socket Mode is not started: %s", reason)
            yield
            return
        runner = build_runner(services, bolt)
        try:
            await run_in_threadpool(runner.start)
        except BaseException:
            await run_in_threadpool(runner.stop)
            raise
        services.extra["slack_socket"] = runner
        try:
            yield
        finally:
            services.extra.pop("slack_socket", None)
            await run_in_threadpool(runner.stop)

    return lifespan


def build_router(services: Any) -> APIRouter:
    """``POST /slack/events`` (HTTP mode) and, with an app token, the Socket Mode connection (lifespan)."""
    socket_mode = services.settings.slack_socket_mode
    router = APIRouter(tags=["slack"], lifespan=_socket_mode_lifespan(services) if socket_mode else None)
    register_command_tools(services)
    try:
        bolt = build_bolt_app(services)
    except ValueError as exc:
        reason = str(exc) + (" (the app is in Socket Mode)" if socket_mode else "")

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
