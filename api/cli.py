"""The ``referent`` command line. Every command has ``--help``; bad input exits 2 with a message.

One error boundary (:class:`BoundaryGroup`) wraps every command: the errors a user can fix (bad
settings, an unreachable or unsupported database, a missing optional module, an unreadable file,
absurdly nested or invalid JSON — see :func:`api.commands.common.describe_error`) end as one
``error: ...`` line on stderr with exit code 2. ``typer.Exit`` / ``SystemExit`` pass through; anything
else is a bug and keeps its traceback.

Exit codes: 0 success, 1 a negative outcome the command reports (blocked promotion, broken audit
chain, denied policy check), 2 bad input or configuration.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import io
import logging
import os
import sys
from typing import Any

import typer
from pydantic import ValidationError
from typer.core import TyperGroup

from api.commands import (
    demo,
    eval_cmds,
    gateway_cmds,
    promote,
    rightsize,
    runbook,
    sandbox_cmds,
    serve,
    triage,
)
from api.commands.common import CLISettings, describe_error, describe_validation


class BoundaryGroup(TyperGroup):
    """The root command group: user-fixable errors of any command → one line on stderr, exit 2."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # the reader of stdout went away (`referent redact < big | head`): stop quietly, as cat does
            _silence_stdout()
            raise typer.Exit(code=1) from None
        except Exception as exc:
            message = describe_error(exc)
            if message is None:
                raise
            typer.echo(f"error: {message}", err=True)
            raise typer.Exit(code=2) from None


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):  # not a real fd (tests)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


app = typer.Typer(
    name="referent",
    help="Agentic MLOps automation behind one audited gateway.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=BoundaryGroup,
)

COMMANDS = (gateway_cmds, sandbox_cmds, triage, runbook, rightsize, promote, serve, demo, eval_cmds)


def _register_all() -> None:
    for module in COMMANDS:
        module.register(app)


_register_all()


def main() -> None:
    """Entry point of the ``referent`` script."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("FEAST_USAGE", "False")
    try:
        settings = CLISettings()
    except ValidationError as exc:
        typer.echo(f"error: {describe_validation(exc)}", err=True)
        sys.exit(2)
    logging.basicConfig(
        level=settings.log_level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    # A command that loaded MLflow, Feast, Dask and Ibis leaves hundreds of thousands of objects; the
    # interpreter's last garbage collections at exit walk them all (about 1 s of a triage's cold start
    # on two cores). Frozen at exit, they are skipped: atexit handlers still run and objects are still
    # released by reference counting; only reference cycles left at exit are not collected.
    atexit.register(gc.freeze)
    app()


if __name__ == "__main__":
    main()
