"""MLflow exception → tool error mapping and the HTTP deadline helper (no server)."""

from __future__ import annotations

import pytest
import requests
from mlflow.exceptions import MlflowException, RestException

from tools.errors import BadInput, NotFound, SourceAuthError, SourceTimeout, SourceUnavailable, ToolError
from tools.mlflow_registry import configure_http, http_env, to_tool_error


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("RESOURCE_DOES_NOT_EXIST", NotFound),
        ("INVALID_PARAMETER_VALUE", BadInput),
        ("UNAUTHENTICATED", SourceAuthError),
        ("PERMISSION_DENIED", SourceAuthError),
        ("INTERNAL_ERROR", SourceUnavailable),
        ("TEMPORARILY_UNAVAILABLE", SourceUnavailable),
    ],
)
def test_rest_error_codes_map_to_the_tool_tree(code: str, expected: type[ToolError]) -> None:
    err = to_tool_error(RestException({"error_code": code, "message": "boom"}))
    assert type(err) is expected
    assert err.source == "mlflow"
    assert "boom" in err.message


def _wrapped(transport: Exception) -> MlflowException:
    """What MLflow's http_request raises: a new MlflowException while handling the transport error."""
    try:
        try:
            raise transport
        except Exception as exc:
            raise MlflowException(f"API request failed with exception {exc}")  # noqa: B904 - as MLflow does
    except MlflowException as outer:
        assert outer.__context__ is transport
        return outer


def test_read_timeout_inside_max_retries_is_a_timeout() -> None:
    from urllib3.exceptions import MaxRetryError, ReadTimeoutError

    inner = MaxRetryError(None, "/x", reason=ReadTimeoutError(None, "/x", "read timed out"))  # type: ignore[arg-type]
    assert isinstance(to_tool_error(_wrapped(requests.ConnectionError(inner))), SourceTimeout)
    assert isinstance(to_tool_error(_wrapped(requests.ReadTimeout("slow"))), SourceTimeout)


def test_refused_connection_is_unavailable() -> None:
    assert isinstance(to_tool_error(_wrapped(requests.ConnectionError("refused"))), SourceUnavailable)


def test_http_env_bounds_retries_and_configure_writes_it() -> None:
    env = http_env(timeout_s=3, max_retries=0)
    assert env["MLFLOW_HTTP_REQUEST_TIMEOUT"] == "3"
    assert env["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "0"
    target: dict[str, str] = {}
    configure_http(target, timeout_s=3, max_retries=0)
    assert target == env
    operator = {"MLFLOW_HTTP_REQUEST_TIMEOUT": "2", "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0.1"}
    configure_http(operator, timeout_s=3, max_retries=0)
    assert operator == {
        **env,
        "MLFLOW_HTTP_REQUEST_TIMEOUT": "2",
        "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0.1",
    }
    too_long = {"MLFLOW_HTTP_REQUEST_TIMEOUT": "60", "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "7"}
    configure_http(too_long, timeout_s=3, max_retries=0)
    assert too_long == env  # above the tool deadline: lowered to ours
