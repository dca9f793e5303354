"""PrometheusClient error mapping and retries, against httpx.MockTransport (the transport double)."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
import stamina

from tools.base import ActionClass
from tools.errors import BadInput, NotFound, SourceAuthError, SourceTimeout, SourceUnavailable
from tools.prometheus import AlertsInput, PrometheusClient, parse_duration, specs

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture(autouse=True)
def _no_backoff_waits() -> object:
    """Keep each client's own attempt count but skip the backoff sleeps."""
    with stamina.set_testing(True, attempts=100, cap=True):
        yield


def _client(handler: Handler, retries: int = 3) -> tuple[PrometheusClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    http = httpx.Client(transport=httpx.MockTransport(record))
    return PrometheusClient("http://prom.test", http=http, timeout_s=5, retries=retries), seen


def _json(status: int, body: dict[str, object]) -> httpx.Response:
    return httpx.Response(
        status, content=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )


VECTOR = {
    "status": "success",
    "data": {
        "resultType": "vector",
        "result": [{"metric": {"model": "fraud-scorer"}, "value": [1700000000.0, "0.024"]}],
    },
}


def test_connection_refused_is_retried_then_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client, seen = _client(refuse)
    with pytest.raises(SourceUnavailable) as err:
        client.query("up")
    assert err.value.source == "prometheus"
    assert len(seen) == 3


def test_5xx_is_retried_and_recovers() -> None:
    answers = iter(
        [_json(502, {"status": "error", "error": "bad gateway"}), _json(500, {}), _json(200, VECTOR)]
    )
    client, seen = _client(lambda _r: next(answers))
    samples = client.query("rate(model_requests_total[15m])")
    assert len(seen) == 3
    assert samples[0].labels == {"model": "fraud-scorer"}
    assert samples[0].value == pytest.approx(0.024)


def test_5xx_until_the_end_is_unavailable() -> None:
    client, seen = _client(lambda _r: _json(500, {"status": "error", "error": "boom"}), retries=2)
    with pytest.raises(SourceUnavailable, match="boom"):
        client.query("up")
    assert len(seen) == 2


@pytest.mark.parametrize("status", [401, 403])
def test_auth_errors_are_not_retried(status: int) -> None:
    client, seen = _client(lambda _r: httpx.Response(status, text="denied"))
    with pytest.raises(SourceAuthError):
        client.alerts()
    assert len(seen) == 1


@pytest.mark.parametrize("status", [400, 422])
def test_bad_promql_is_bad_input_with_prometheus_message(status: int) -> None:
    message = 'invalid parameter "query": 1:6: parse error: unexpected end of input'
    client, seen = _client(
        lambda _r: _json(status, {"status": "error", "errorType": "bad_data", "error": message})
    )
    with pytest.raises(BadInput) as err:
        client.query("sum(")
    assert err.value.message == message
    assert len(seen) == 1


def test_read_timeout_is_source_timeout_without_retry() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    client, seen = _client(slow)
    with pytest.raises(SourceTimeout):
        client.query("up")
    assert len(seen) == 1


def test_query_timeout_from_server_is_source_timeout() -> None:
    body = {"status": "error", "errorType": "timeout", "error": "query timed out in expression evaluation"}
    client, seen = _client(lambda _r: _json(503, body))
    with pytest.raises(SourceTimeout, match="timed out"):
        client.query("up")
    assert len(seen) == 1


def test_not_found_and_non_json_answers() -> None:
    client, _ = _client(lambda _r: httpx.Response(404, text="404 page not found"))
    with pytest.raises(NotFound):
        client.buildinfo()
    client, _ = _client(lambda _r: httpx.Response(200, text="<html>proxy login</html>"))
    with pytest.raises(SourceUnavailable, match="unexpected answer"):
        client.buildinfo()


def test_query_sends_post_form_and_scalar_results_are_samples() -> None:
    body = {"status": "success", "data": {"resultType": "scalar", "result": [1700000000.5, "3"]}}
    client, seen = _client(lambda _r: _json(200, body))
    [sample] = client.query("scalar(count(up))", at=1700000000.5)
    assert sample.labels == {} and sample.value == 3.0
    assert seen[0].method == "POST"
    form = dict(httpx.QueryParams(seen[0].content.decode()))
    assert form["query"] == "scalar(count(up))" and float(form["time"]) == 1700000000.5


def test_matrix_result_from_instant_query_is_refused_but_valid() -> None:
    body = {"status": "success", "data": {"resultType": "matrix", "result": []}}
    client, _ = _client(lambda _r: _json(200, body))
    with pytest.raises(BadInput, match="query_range"):
        client.query("up[10m]")
    assert client.validate("up[10m]").valid


def test_label_name_is_checked_before_any_request() -> None:
    client, seen = _client(lambda _r: _json(200, {"status": "success", "data": []}))
    with pytest.raises(BadInput):
        client.label_values("../../admin")
    assert seen == []


def test_healthy_never_raises() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client, _ = _client(refuse)
    assert client.healthy() is False


def test_parse_duration() -> None:
    assert parse_duration("1h30m") == 5400
    assert parse_duration("14d") == 14 * 86400
    with pytest.raises(BadInput):
        parse_duration("soon")


def test_specs_are_read_only_and_described() -> None:
    client, _ = _client(lambda _r: _json(200, VECTOR))
    tools = {s.name: s for s in specs(client)}
    assert set(tools) == {
        "prometheus.query",
        "prometheus.query_range",
        "prometheus.series",
        "prometheus.labels",
        "prometheus.rules",
        "prometheus.alerts",
        "prometheus.validate",
    }
    for spec in tools.values():
        assert spec.action is ActionClass.READ
        assert spec.source == "prometheus"
        assert len(spec.description) > 40


class _Untouchable:
    """A stand-in client: every attribute access (method or data) fails."""

    def __getattribute__(self, name: str) -> object:
        raise AssertionError(f"client.{name} was accessed")


def test_specs_build_without_touching_the_client() -> None:
    tools = {s.name: s for s in specs(_Untouchable())}  # type: ignore[arg-type]
    assert len(tools) == 7
    assert all(s.timeout_s == 21.0 for s in tools.values())
    with pytest.raises(AssertionError, match=r"client\.alerts was accessed"):
        tools["prometheus.alerts"].func(AlertsInput())


def test_specs_deadline_follows_the_request_timeout() -> None:
    client, _ = _client(lambda _r: _json(200, VECTOR))
    assert {s.timeout_s for s in specs(client, timeout_s=15.0)} == {31.0}
