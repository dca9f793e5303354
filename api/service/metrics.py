"""Prometheus metrics of one app (a per-app ``CollectorRegistry``, so tests can build several apps).

Counted in process: HTTP requests, alerts received, triage latency. Read from the state database at
scrape time (cheap aggregate queries): tool and LLM calls by outcome with tokens and cost (audit log),
pseudonymized values by entity type (the vault), incidents by status and the triage queue depth.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import text

log = logging.getLogger("referent.metrics")

_AUDIT = (
    "SELECT kind, outcome, COUNT(*), COALESCE(SUM(tokens), 0), COALESCE(SUM(cost_usd), 0) "
    "FROM audit_records GROUP BY kind, outcome"
)
_VAULT = "SELECT entity_type, COUNT(*) FROM pseudonyms GROUP BY entity_type"
_INCIDENTS = "SELECT status, COUNT(*) FROM incidents GROUP BY status"


class _StateCollector(Collector):
    """Aggregates from the state database, computed when Prometheus scrapes."""

    def __init__(self, runtime: Any, queue_depth: Callable[[], int | None]) -> None:
        self._db = runtime.db
        self._queue_depth = queue_depth

    def _rows(self, sql: str) -> list[Any]:
        try:
            with self._db.engine.connect() as conn:
                return list(conn.execute(text(sql)).all())
        except Exception as exc:  # a scrape must not fail because one table is missing
            log.warning("metrics query failed: %s", type(exc).__name__)
            return []

    def collect(self) -> Iterator[Metric]:
        calls = CounterMetricFamily(
            "referent_gateway_calls", "Gateway calls by kind and outcome", labels=["kind", "outcome"]
        )
        tokens = CounterMetricFamily("referent_llm_tokens", "LLM tokens spent (audit log)", labels=["kind"])
        cost = CounterMetricFamily(
            "referent_llm_cost_usd", "Money spent on calls, USD (audit log)", labels=["kind"]
        )
        totals: dict[str, list[float]] = {}
        for kind, outcome, n, tok, usd in self._rows(_AUDIT):
            calls.add_metric([kind, outcome], n)
            acc = totals.setdefault(kind, [0.0, 0.0])
            acc[0] += tok
            acc[1] += usd
        for kind, (tok, usd) in totals.items():
            tokens.add_metric([kind], tok)
            cost.add_metric([kind], usd)
        redacted = GaugeMetricFamily(
            "referent_pseudonyms", "Distinct values pseudonymized, by entity type", labels=["entity_type"]
        )
        for entity, n in self._rows(_VAULT):
            redacted.add_metric([entity], n)
        incidents = GaugeMetricFamily("referent_incidents", "Incidents by status", labels=["status"])
        for status, n in self._rows(_INCIDENTS):
            incidents.add_metric([status], n)
        yield from (calls, tokens, cost, redacted, incidents)
        depth = self._queue_depth()
        if depth is not None:
            yield GaugeMetricFamily(
                "referent_triage_queue_depth", "Triage workflows waiting or running", value=depth
            )


class Metrics:
    """The counters of one app and its registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "referent_http_requests", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.alerts = Counter(
            "referent_alerts_received",
            "Alerts received by source and outcome",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.triage_seconds = Histogram(
            "referent_triage_seconds",
            "Triage run latency (seconds)",
            registry=self.registry,
            buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
        )
        self._watching = False

    def watch_audit(self, runtime: Any, queue_depth: Callable[[], int | None] | None = None) -> None:
        """Export the state database's aggregates (once per registry)."""
        if self._watching:
            return
        self.registry.register(_StateCollector(runtime, queue_depth or _queue_depth))
        self._watching = True

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def _queue_depth() -> int | None:
    """Triage workflows enqueued or running, when DBOS is launched in this process."""
    try:
        from api.workers.dbos_app import queue_depth
    except ImportError:
        return None
    return queue_depth()
