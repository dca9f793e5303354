"""Shared helpers of the CLI commands: clear errors with exit code 2, runtime construction."""

from __future__ import annotations

from typing import Any, NoReturn

import typer
from pydantic import ValidationError


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``message`` to stderr and exit (2 = bad input)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=code)


def runtime(**kwargs: Any) -> Any:
    """Build the runtime from the environment; configuration errors exit 2 with the reason."""
    from guardrails.factory import build_runtime
    from guardrails.settings import GuardrailSettings
    from tools.settings import PlatformSettings

    try:
        return build_runtime(GuardrailSettings(), PlatformSettings(), **kwargs)
    except ValidationError as exc:
        fail(f"invalid configuration: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}")
    except ValueError as exc:
        fail(str(exc))
