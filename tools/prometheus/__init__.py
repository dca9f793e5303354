"""Prometheus HTTP API client and the ``prometheus.*`` tools built on it.

Works against anything that speaks the Prometheus HTTP API (Prometheus, Thanos, Mimir).

    client.py      PrometheusClient (error mapping, retries), parse_duration
    models.py      what the client and the tools return
    summary.py     summaries of range series (statistics and change points) instead of raw points
    tool_specs.py  the tools' input models and specs(client), which registers them

The public names are re-exported here: ``from tools.prometheus import PrometheusClient, specs``.
"""

from tools.prometheus.client import DEFAULT_TIMEOUT_S, SOURCE, PrometheusClient, Time, parse_duration
from tools.prometheus.models import (
    Alert,
    ListResult,
    QueryResult,
    RangeResult,
    RangeSeries,
    Rule,
    RuleGroup,
    Sample,
    ValidationResult,
)
from tools.prometheus.summary import ChangePoint, SeriesSummary, quantile, summarize
from tools.prometheus.tool_specs import (
    AlertsInput,
    LabelsInput,
    QueryInput,
    QueryRangeInput,
    RulesInput,
    SeriesInput,
    ValidateInput,
    specs,
)

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "SOURCE",
    "Alert",
    "AlertsInput",
    "ChangePoint",
    "LabelsInput",
    "ListResult",
    "PrometheusClient",
    "QueryInput",
    "QueryRangeInput",
    "QueryResult",
    "RangeResult",
    "RangeSeries",
    "Rule",
    "RuleGroup",
    "RulesInput",
    "Sample",
    "SeriesInput",
    "SeriesSummary",
    "Time",
    "ValidateInput",
    "ValidationResult",
    "parse_duration",
    "quantile",
    "specs",
    "summarize",
]
