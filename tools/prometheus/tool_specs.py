"""The read-only ``prometheus.*`` tools: their input models, what each does with the client, and
:func:`specs`, which registers them as :class:`~tools.base.ToolSpec` objects.

Each tool is a module-level function ``(client, args) -> result``; the ``_TOOLS`` table gives its name,
description (what the model reads) and input model. :func:`specs` binds every function to the client
without touching it, so the same specs can be bound to a stand-in for an unconfigured source.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Literal

from pydantic import BaseModel, Field

from tools.base import ActionClass, ToolSpec
from tools.prometheus.client import DEFAULT_TIMEOUT_S, SOURCE, PrometheusClient, parse_duration
from tools.prometheus.models import Alert, ListResult, QueryResult, RangeResult, RuleGroup, ValidationResult
from tools.prometheus.summary import summarize

# --- inputs ----------------------------------------------------------------------------------------


class QueryInput(BaseModel):
    promql: str = Field(description="PromQL expression returning an instant vector or a scalar")
    at: datetime | None = Field(default=None, description="evaluation time (RFC 3339); default now")
    max_series: int = Field(default=50, ge=1, le=500, description="return at most this many samples")


class QueryRangeInput(BaseModel):
    promql: str = Field(description="PromQL expression returning an instant vector")
    start: datetime | None = Field(default=None, description="default: end minus lookback")
    end: datetime | None = Field(default=None, description="default: now")
    lookback: str = Field(default="6h", description="range length when start is not given, e.g. 6h, 14d")
    step: str = Field(default="5m", description="resolution, e.g. 1m, 5m, 1h (at most 11,000 points)")
    max_series: int = Field(default=20, ge=1, le=200, description="summarize at most this many series")


class SeriesInput(BaseModel):
    match: list[str] = Field(min_length=1, description="series selectors, e.g. ['up{job=\"x\"}']")
    lookback: str = Field(default="1h", description="only series with samples in this recent window")
    limit: int = Field(default=100, ge=1, le=1000)


class LabelsInput(BaseModel):
    label: str = Field(description="label name, e.g. namespace, pod, model, __name__")
    match: list[str] | None = Field(default=None, description="only values on series matching these")
    limit: int = Field(default=200, ge=1, le=2000)


class RulesInput(BaseModel):
    type: Literal["alert", "record"] | None = Field(default=None, description="only alerting or recording")


class AlertsInput(BaseModel):
    pass


class ValidateInput(BaseModel):
    promql: str


# --- what each tool does ---------------------------------------------------------------------------


def _capped(items: list[Any], limit: int) -> ListResult:
    return ListResult(items=items[:limit], total=len(items), truncated=len(items) > limit)


def _query(client: PrometheusClient, args: QueryInput) -> QueryResult:
    samples = client.query(args.promql, at=args.at)
    return QueryResult(
        samples=samples[: args.max_series], total=len(samples), truncated=len(samples) > args.max_series
    )


def _query_range(client: PrometheusClient, args: QueryRangeInput) -> RangeResult:
    end = args.end or datetime.now(UTC)
    start = args.start or end - timedelta(seconds=parse_duration(args.lookback))
    step_s = parse_duration(args.step)
    series = client.query_range(args.promql, start, end, step_s)
    return RangeResult(
        start=start,
        end=end,
        step_s=step_s,
        series=[summarize(s) for s in series[: args.max_series]],
        total=len(series),
        truncated=len(series) > args.max_series,
    )


def _series(client: PrometheusClient, args: SeriesInput) -> ListResult:
    end = datetime.now(UTC)
    start = end - timedelta(seconds=parse_duration(args.lookback))
    return _capped(client.series(args.match, start, end), args.limit)


def _labels(client: PrometheusClient, args: LabelsInput) -> ListResult:
    return _capped(client.label_values(args.label, args.match), args.limit)


def _rules(client: PrometheusClient, args: RulesInput) -> list[RuleGroup]:
    return client.rules(args.type)


def _alerts(client: PrometheusClient, _args: AlertsInput) -> list[Alert]:
    return client.alerts()


def _validate(client: PrometheusClient, args: ValidateInput) -> ValidationResult:
    return client.validate(args.promql)


# --- registration ----------------------------------------------------------------------------------

_TOOLS: list[tuple[str, str, type[BaseModel], Callable[[PrometheusClient, Any], Any]]] = [
    (
        "prometheus.query",
        "Evaluate a PromQL instant query (at `at`, default now). Returns "
        "{samples: [{labels, value, ts}], total, truncated}: at most max_series samples; "
        "range-vector results are refused (wrap them in e.g. max_over_time).",
        QueryInput,
        _query,
    ),
    (
        "prometheus.query_range",
        "Evaluate a PromQL range query and return one SUMMARY per "
        "series, never the raw points: count, min, max, mean, p50/p95/p99, first and last "
        "point, and change points (level shifts: time, mean before, mean after). Range: "
        "start..end or the last `lookback`; at most max_series series (total and truncated "
        "tell how many matched).",
        QueryRangeInput,
        _query_range,
    ),
    (
        "prometheus.series",
        "List the label sets of series matching selectors that had "
        "samples in the last `lookback`. Returns {items, total, truncated}.",
        SeriesInput,
        _series,
    ),
    (
        "prometheus.labels",
        "List the values of one label (e.g. namespace, model, "
        "__name__ for metric names), optionally only on series matching selectors. Returns "
        "{items, total, truncated}.",
        LabelsInput,
        _labels,
    ),
    (
        "prometheus.rules",
        "List the loaded rule groups: each rule's name, type, PromQL, "
        "`for` duration, labels, annotations (summary, runbook_url), health and alert state.",
        RulesInput,
        _rules,
    ),
    (
        "prometheus.alerts",
        "List the alerts pending or firing now, with labels, "
        "annotations, state, since when and the value that triggered them.",
        AlertsInput,
        _alerts,
    ),
    (
        "prometheus.validate",
        "Check a PromQL expression with the Prometheus server's own "
        "parser, without reading data. Returns {valid, error}; error is Prometheus's message.",
        ValidateInput,
        _validate,
    ),
]


def specs(client: PrometheusClient, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> list[ToolSpec]:
    """The read-only ``prometheus.*`` tools over ``client``.

    ``client`` is only used when a tool is called, never while the list is built, so any object with
    the client's query methods (or a stand-in that refuses every call) can be bound.

    Args:
        client: the client the tools call.
        timeout_s: the per-request timeout ``client`` was built with; each tool's deadline is twice it
            plus one second. The gateway factory sets every tool's deadline to
            ``REFERENT_TOOL_TIMEOUT_S`` instead, and inside a call the client waits no longer than the
            call has left (:func:`tools.base.time_left`).
    """
    deadline = timeout_s * 2 + 1
    return [
        ToolSpec(name, description, model, ActionClass.READ, partial(run, client), SOURCE, deadline)
        for name, description, model, run in _TOOLS
    ]
