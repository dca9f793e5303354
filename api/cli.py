"""The ``referent`` command line. Every command has ``--help``; bad input exits 2 with a message."""

from __future__ import annotations

import logging
import os
import sys

import typer

from api.commands import demo, gateway_cmds, promote, rightsize, runbook, sandbox_cmds, serve, triage

app = typer.Typer(
    name="referent",
    help="Agentic MLOps automation behind one audited gateway.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

COMMANDS = (gateway_cmds, sandbox_cmds, triage, runbook, rightsize, promote, serve, demo)


def _register_all() -> None:
    for module in COMMANDS:
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
