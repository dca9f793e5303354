"""MLflow HTTP deadlines and the mapping of MLflow client exceptions to :mod:`tools.errors`.

Errors carry ``source="mlflow"``: ``RESOURCE_DOES_NOT_EXIST`` → NotFound, ``INVALID_PARAMETER_VALUE`` →
BadInput, 401/403 → SourceAuthError, a transport timeout → SourceTimeout, refused connections and server
errors → SourceUnavailable.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from tools.errors import BadInput, NotFound, SourceAuthError, SourceTimeout, SourceUnavailable, ToolError

SOURCE = "mlflow"
_AUTH_CODES = {"UNAUTHENTICATED", "PERMISSION_DENIED", "CUSTOMER_UNAUTHORIZED"}
_BAD_INPUT_CODES = {"INVALID_PARAMETER_VALUE", "BAD_REQUEST", "RESOURCE_ALREADY_EXISTS"}

if TYPE_CHECKING:
    from mlflow.exceptions import MlflowException


_JITTER_S = 0.5


def request_budget(tool_timeout_s: float, max_retries: int = 1, backoff_factor: int = 1) -> tuple[int, int]:
    """A per-request timeout and retry count whose worst case ends within ``tool_timeout_s``.

    MLflow's client waits up to ``(retries + 1) * timeout`` plus backoff (urllib3 skips the backoff
    before the first retry; the later ones wait ``backoff_factor * 2**(n-1)`` plus jitter). The
    timeout is in whole seconds (MLflow's rule), so retries are dropped until one second per attempt
    fits in 90 % of the tool timeout; below about 1.2 s one attempt of 1 s is the floor.

    Returns:
        ``(timeout_s, max_retries)`` for :func:`http_env`.
    """
    usable = tool_timeout_s * 0.9
    retries = max(0, max_retries)
    while retries > 0 and _backoff_s(retries, backoff_factor) + (retries + 1) > usable:
        retries -= 1
    timeout = int((usable - _backoff_s(retries, backoff_factor)) // (retries + 1))
    return max(1, timeout), retries


def _backoff_s(retries: int, backoff_factor: int) -> float:
    return sum(backoff_factor * 2 ** (n - 1) + _JITTER_S for n in range(2, retries + 1))


def http_env(timeout_s: int = 5, max_retries: int = 1, backoff_factor: int = 1) -> dict[str, str]:
    """MLflow client environment variables that make a dead or hung server fail fast.

    MLflow reads these at request time (defaults: 120 s timeout, 7 retries with backoff, i.e.
    minutes). A refused connection fails after ``max_retries`` immediate retries; a server that
    never answers fails after ``(max_retries + 1) * timeout_s`` plus backoff (about 10 s with the
    defaults). The artifact progress bar and telemetry are switched off as well.

    Args:
        timeout_s: per-request connect/read timeout (MLflow only accepts whole seconds).
        max_retries: retries after the first attempt.
        backoff_factor: exponential backoff factor in seconds (urllib3 skips it on the first retry).

    Returns:
        Variable name → value, for the settings layer to apply (see :func:`configure_http`).
    """
    return {
        "MLFLOW_HTTP_REQUEST_TIMEOUT": str(int(timeout_s)),
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": str(int(max_retries)),
        "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": str(int(backoff_factor)),
        "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": str(_JITTER_S),
        "MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER": "false",  # a server's Retry-After: 300 must not stall us
        "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }


_BOUNDS = ("MLFLOW_HTTP_REQUEST_TIMEOUT", "MLFLOW_HTTP_REQUEST_MAX_RETRIES")


def configure_http(environ: MutableMapping[str, str], **kwargs: int) -> None:
    """Write :func:`http_env` into ``environ`` (the settings layer passes ``os.environ``).

    Variables already set by the operator are kept, except that a request timeout or retry count
    above ours is lowered to ours: those two bound how long a call may run, and the tool deadline
    (``REFERENT_TOOL_TIMEOUT_S``) must hold for MLflow as for every tool.
    """
    for name, value in http_env(**kwargs).items():
        current = environ.get(name)
        if current is None or (name in _BOUNDS and not _at_most(current, int(value))):
            environ[name] = value


def _at_most(text: str, bound: int) -> bool:
    try:
        return int(text) <= bound
    except ValueError:
        return False


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        cur = todo.pop()
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        yield cur
        todo += [cur.__cause__, cur.__context__, getattr(cur, "reason", None)]
        todo += [a for a in getattr(cur, "args", ()) if isinstance(a, BaseException)]


def _is_timeout(exc: BaseException) -> bool:
    return isinstance(exc, TimeoutError) or type(exc).__name__ in {
        "Timeout",
        "ReadTimeout",
        "ConnectTimeout",
        "ReadTimeoutError",
        "ConnectTimeoutError",
    }


def to_tool_error(exc: MlflowException) -> ToolError:
    """Map an MLflow client exception to the typed tool error tree."""
    code, message = exc.error_code, exc.message
    if code == "RESOURCE_DOES_NOT_EXIST":
        return NotFound(SOURCE, message)
    if code in _BAD_INPUT_CODES:
        return BadInput(SOURCE, message)
    if code in _AUTH_CODES or exc.get_http_status_code() in (401, 403):
        return SourceAuthError(SOURCE, message)
    chain = list(_chain(exc))
    if any(_is_timeout(e) for e in chain):
        return SourceTimeout(SOURCE, message)
    return SourceUnavailable(SOURCE, message)


@contextmanager
def mapped_errors() -> Iterator[None]:
    """Re-raise any ``MlflowException`` in the block as :func:`to_tool_error` of it.

    Imports MLflow (a registry call is about to load it anyway); importing this module does not.
    """
    from mlflow.exceptions import MlflowException

    try:
        yield
    except MlflowException as exc:
        raise to_tool_error(exc) from exc
