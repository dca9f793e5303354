"""``referent serve``: the HTTP application (runbooks at their stable URL, health probes)."""

from __future__ import annotations

from typing import Annotated

import typer


def serve(
    host: Annotated[str, typer.Option(help="bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="port")] = 8080,
) -> None:
    """Serve the runbook library at /runbooks/<AlertName> (the rules' runbook_url) and /healthz."""
    import uvicorn

    from api.app import create_app

    uvicorn.run(create_app(), host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
