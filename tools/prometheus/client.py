"""Prometheus HTTP API client: :class:`PrometheusClient`, its retry policy and :func:`parse_duration`.

Works against anything that speaks the Prometheus HTTP API (Prometheus, Thanos, Mimir). The network
client is injected; every failure is a :mod:`tools.errors` error with ``source="prometheus"``:

    connection refused / reset, 5xx after retries  -> SourceUnavailable
    no answer within ``timeout_s`` (or 503 query timeout) -> SourceTimeout
    401 / 403                                       -> SourceAuthError
    400 / 422 (bad PromQL, bad parameters)          -> BadInput, with Prometheus's own message
    404                                             -> NotFound

Connection errors and 5xx answers are retried (``retries`` attempts in all, exponential backoff from
0.1 s, no new attempt after ``timeout_s`` has passed since the first). Timeouts are not retried.
Inside a gateway call every wait is also bounded by the time the call has left
(:func:`tools.base.time_left`), so the whole call ends by the gateway's deadline.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx
import stamina

from tools.base import time_left
from tools.errors import BadInput, NotFound, SourceAuthError, SourceTimeout, SourceUnavailable
from tools.prometheus.models import Alert, RangeSeries, Rule, RuleGroup, Sample, ValidationResult

SOURCE = "prometheus"
DEFAULT_TIMEOUT_S = 10.0
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)")
_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}

Time = datetime | float


class _ServerError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")


def _retryable(exc: Exception) -> bool:
    return isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError | _ServerError)


def _ts(value: Time) -> float:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    return float(value)


def _dt(value: float | str) -> datetime:
    return datetime.fromtimestamp(float(value), tz=UTC)


def parse_duration(text: str) -> float:
    """Seconds in a Prometheus duration such as ``90s``, ``15m``, ``1h30m``, ``14d``."""
    parts = _DURATION_PART.findall(text.strip())
    if not parts or "".join(n + u for n, u in parts) != text.strip():
        raise BadInput(SOURCE, f"not a duration: {text!r} (use e.g. 30s, 5m, 6h, 14d)")
    return sum(float(n) * _UNIT_S[u] for n, u in parts)


class PrometheusClient:
    """Typed access to the Prometheus HTTP API (``/api/v1``)."""

    def __init__(
        self,
        base_url: str,
        http: httpx.Client | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        retries: int = 3,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = http or httpx.Client(timeout=timeout_s)
        self._owns_http = http is None
        self.timeout_s = timeout_s
        self.retries = max(1, retries)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> PrometheusClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport ---------------------------------------------------------------------------

    def _call(self, method: str, path: str, params: dict[str, Any] | None = None) -> Any:
        """Send with retries and return the ``data`` member of a successful answer."""
        budget = time_left(self.timeout_s)
        try:
            for attempt in stamina.retry_context(
                on=_retryable,
                attempts=self.retries,
                timeout=budget,
                wait_initial=0.1,
                wait_max=1.0,
                wait_jitter=0.1,
            ):
                with attempt:
                    return self._send(method, path, params)
        except httpx.TimeoutException as exc:
            raise SourceTimeout(SOURCE, f"no answer from {path} within {budget:.3g}s") from exc
        except (httpx.TransportError, _ServerError) as exc:
            raise SourceUnavailable(SOURCE, f"{path}: {type(exc).__name__}: {exc}") from exc
        raise SourceUnavailable(SOURCE, f"{path}: no attempt was made")  # pragma: no cover

    def _send(self, method: str, path: str, params: dict[str, Any] | None) -> Any:
        url = f"{self.base_url}{path}"
        wait = time_left(self.timeout_s)
        if wait <= 0:
            raise httpx.TimeoutException(f"no time left for {path}")
        if method == "POST":
            resp = self._http.post(url, data=params, timeout=wait)
        else:
            resp = self._http.get(url, params=params, timeout=wait)
        try:
            body = resp.json()
        except ValueError:
            body = None
        message = body.get("error", "") if isinstance(body, dict) else resp.text[:200]
        if resp.status_code in (401, 403):
            raise SourceAuthError(SOURCE, f"HTTP {resp.status_code} from {path}")
        if resp.status_code in (400, 422):
            raise BadInput(SOURCE, message or f"HTTP {resp.status_code}")
        if resp.status_code == 404:
            raise NotFound(SOURCE, f"{path} not found")
        if resp.status_code == 503 and isinstance(body, dict) and body.get("errorType") == "timeout":
            raise SourceTimeout(SOURCE, message)
        if resp.status_code >= 500:
            raise _ServerError(resp.status_code, message)
        if not isinstance(body, dict) or body.get("status") != "success":
            raise SourceUnavailable(SOURCE, f"unexpected answer from {path} (HTTP {resp.status_code})")
        return body.get("data")

    # --- queries -----------------------------------------------------------------------------

    def query(self, promql: str, at: Time | None = None) -> list[Sample]:
        """Evaluate an instant query (at ``at``, default now); vector and scalar results only."""
        params: dict[str, Any] = {"query": promql, "timeout": f"{self.timeout_s:g}s"}
        if at is not None:
            params["time"] = _ts(at)
        data = self._call("POST", "/api/v1/query", params)
        kind, result = data["resultType"], data["result"]
        if kind == "vector":
            return [
                Sample(labels=r["metric"], value=float(r["value"][1]), ts=_dt(r["value"][0])) for r in result
            ]
        if kind == "scalar":
            return [Sample(labels={}, value=float(result[1]), ts=_dt(result[0]))]
        raise BadInput(
            SOURCE,
            f"the query returns a {kind}; use query_range, or wrap the range "
            "selector in a function such as max_over_time()",
        )

    def query_range(
        self, promql: str, start: Time, end: Time, step: float | timedelta | str
    ) -> list[RangeSeries]:
        """Evaluate ``promql`` from ``start`` to ``end`` every ``step`` (seconds, timedelta or ``"5m"``)."""
        step_param = step.total_seconds() if isinstance(step, timedelta) else step
        params = {
            "query": promql,
            "start": _ts(start),
            "end": _ts(end),
            "step": step_param,
            "timeout": f"{self.timeout_s:g}s",
        }
        data = self._call("POST", "/api/v1/query_range", params)
        return [
            RangeSeries(labels=r["metric"], points=[(_dt(t), float(v)) for t, v in r["values"]])
            for r in data["result"]
        ]

    def series(
        self, match: str | Sequence[str], start: Time | None = None, end: Time | None = None
    ) -> list[dict[str, str]]:
        """Label sets of the series matching any selector in ``match`` (between ``start`` and ``end``)."""
        params: dict[str, Any] = {"match[]": [match] if isinstance(match, str) else list(match)}
        if start is not None:
            params["start"] = _ts(start)
        if end is not None:
            params["end"] = _ts(end)
        return list(self._call("POST", "/api/v1/series", params))

    def label_values(self, label: str, match: str | Sequence[str] | None = None) -> list[str]:
        """Values of ``label`` (optionally only on series matching ``match``)."""
        if not _LABEL_NAME.match(label):
            raise BadInput(SOURCE, f"not a label name: {label!r}")
        params = {"match[]": [match] if isinstance(match, str) else list(match)} if match else None
        return list(self._call("GET", f"/api/v1/label/{label}/values", params))

    def metadata(self, metric: str | None = None) -> dict[str, list[dict[str, str]]]:
        """Type, help and unit per metric name, as the scrape targets declared them."""
        return dict(self._call("GET", "/api/v1/metadata", {"metric": metric} if metric else None))

    def rules(self, type: Literal["alert", "record"] | None = None) -> list[RuleGroup]:
        """Loaded rule groups with each rule's health and, for alerting rules, state."""
        data = self._call("GET", "/api/v1/rules", {"type": type} if type else None)
        return [
            RuleGroup(
                name=g["name"],
                file=g.get("file", ""),
                rules=[
                    Rule(
                        name=r["name"],
                        type=r["type"],
                        query=r["query"],
                        duration_s=float(r.get("duration", 0)),
                        labels=r.get("labels") or {},
                        annotations=r.get("annotations") or {},
                        health=r.get("health", "unknown"),
                        last_error=r.get("lastError") or None,
                        state=r.get("state"),
                    )
                    for r in g["rules"]
                ],
            )
            for g in data["groups"]
        ]

    def alerts(self) -> list[Alert]:
        """Alerts that are pending or firing now."""
        data = self._call("GET", "/api/v1/alerts")
        return [
            Alert(
                labels=a["labels"],
                annotations=a.get("annotations") or {},
                state=a["state"],
                active_at=a.get("activeAt"),
                value=a.get("value"),
            )
            for a in data["alerts"]
        ]

    def validate(self, promql: str) -> ValidationResult:
        """Ask the server whether ``promql`` parses and type-checks.

        Evaluated as an instant query at the Unix epoch, where no data exists, so the check is cheap
        yet done by the server's own parser (Prometheus 2.42 has no ``/api/v1/format_query``).
        """
        try:
            self.query(promql, at=0.0)
        except BadInput as exc:
            if "returns a matrix" in exc.message:
                return ValidationResult(valid=True)
            return ValidationResult(valid=False, error=exc.message)
        return ValidationResult(valid=True)

    def buildinfo(self) -> dict[str, str]:
        """Version, revision and Go version of the server."""
        return dict(self._call("GET", "/api/v1/status/buildinfo"))

    def healthy(self) -> bool:
        """True when ``/-/healthy`` answers 200 within the timeout; never raises."""
        try:
            return self._http.get(f"{self.base_url}/-/healthy", timeout=self.timeout_s).status_code == 200
        except httpx.HTTPError:
            return False
