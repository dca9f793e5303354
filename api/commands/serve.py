"""``referent serve``: the API (uvicorn) and the DBOS workers, in one process by default.

``--api-only`` serves HTTP and enqueues work without running it; ``--workers-only`` runs the queued
triage workflows and the schedules without HTTP. Scale out by running several of each on one
PostgreSQL (``REFERENT_DATABASE_URL``), each worker with its own ``REFERENT_EXECUTOR_ID``.
"""

from __future__ import annotations

import signal
import threading
from typing import Annotated, Any

import typer

from api.commands.common import describe_validation, fail


def _services() -> Any:
    from pydantic import ValidationError

    from api.service.services import build_services
    from guardrails.store.db import StoreError

    try:
        return build_services()
    except ValidationError as exc:
        if exc.title == "PolicyFile":
            from guardrails.settings import GuardrailSettings

            where = GuardrailSettings().policy_file or "(shipped default)"
            fail(f"policy file {where}: {describe_validation(exc)}")
        first = exc.errors()[0]
        fail(f"invalid configuration: {'.'.join(str(p) for p in first['loc']) or 'settings'}: {first['msg']}")
    except (StoreError, ValueError) as exc:
        fail(str(exc))


def _run_workers(services: Any) -> None:
    from api.workers import dbos_app

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    dbos_app.launch(services, role="workers")
    typer.echo("referent workers running (DBOS); stop with SIGTERM", err=True)
    try:
        stop.wait()
    finally:
        dbos_app.shutdown()


def serve(
    host: Annotated[str, typer.Option(help="bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="port")] = 8080,
    api_only: Annotated[bool, typer.Option("--api-only", help="serve HTTP; run no workflows")] = False,
    workers_only: Annotated[
        bool, typer.Option("--workers-only", help="run workflows; serve no HTTP")
    ] = False,
) -> None:
    """Run the service: webhooks, REST /v1, Slack, pages, runbooks, metrics, and the durable workers."""
    if api_only and workers_only:
        fail("--api-only and --workers-only exclude each other")
    services = _services()
    try:
        if workers_only:
            _run_workers(services)
            return
        import uvicorn

        from api.app import create_app

        app = create_app(services, role="api" if api_only else "both")
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        services.close()


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
