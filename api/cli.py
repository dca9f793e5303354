"""The ``referent`` command line. Every command has ``--help``; bad input exits 2 with a message."""

from __future__ import annotations

import importlib
import logging
import os
import sys

import typer

from api.commands import gateway_cmds, sandbox_cmds

app = typer.Typer(
    name="referent",
    help="Agentic MLOps automation behind one audited gateway.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Agent command groups are registered when their module is present.
AGENT_COMMANDS = ("triage", "runbook", "rightsize", "promote", "serve", "demo")


def _register_all() -> None:
    gateway_cmds.register(app)
    sandbox_cmds.register(app)
    for name in AGENT_COMMANDS:
        try:
            module = importlib.import_module(f"api.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"api.commands.{name}":
                raise
            continue
        module.register(app)


def main() -> None:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("FEAST_USAGE", "False")
    logging.basicConfig(
        level=os.environ.get("REFERENT_LOG_LEVEL", "WARNING"),
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    _register_all()
    app()


if __name__ == "__main__":
    main()
