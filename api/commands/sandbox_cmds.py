"""``referent sandbox up|down|status``: the local world on real servers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from api.commands.common import fail

sandbox_app = typer.Typer(
    help="Start/stop the sandbox world (real MLflow, Prometheus, Alertmanager, Feast).", no_args_is_help=True
)
DirOption = Annotated[Path, typer.Option("--dir", help="where the sandbox keeps its servers' data")]


@sandbox_app.command("up")
def up(
    world: Annotated[str, typer.Option(help="world name (demo) or a world YAML file")] = "demo",
    directory: DirOption = Path(".sandbox"),
    webhook_url: Annotated[str | None, typer.Option(help="Alertmanager webhook receiver URL")] = None,
) -> None:
    """Start the world's servers (or reuse a running world) and print the endpoints as JSON."""
    from pydantic import ValidationError

    from evals.sandbox import world as sandbox
    from evals.sandbox.processes import SandboxError
    from evals.worlds import load_world

    try:
        spec = load_world(world)
    except FileNotFoundError as exc:
        fail(str(exc))
    except ValidationError as exc:
        fail(f"invalid world {world}: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}")
    try:
        endpoints = sandbox.up(spec, directory, webhook_url=webhook_url)
    except SandboxError as exc:
        fail(f"sandbox failed to start: {exc}", code=1)
    typer.echo(json.dumps(endpoints, indent=2))


@sandbox_app.command("down")
def down(directory: DirOption = Path(".sandbox")) -> None:
    """Stop every server the sandbox started in DIR (whole process groups)."""
    from evals.sandbox import world as sandbox

    stopped = sandbox.down(directory)
    typer.echo(json.dumps({"stopped": stopped}))


@sandbox_app.command("status")
def status(directory: DirOption = Path(".sandbox")) -> None:
    """Show which sandbox servers are running."""
    from evals.sandbox import world as sandbox

    typer.echo(json.dumps(sandbox.status(directory), indent=2))


def register(app: typer.Typer) -> None:
    app.add_typer(sandbox_app, name="sandbox")
