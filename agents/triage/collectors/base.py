"""Shared plumbing of the triage collectors: the time window, PromQL helpers and gateway calls.

Every call goes through :func:`agents.deps.collect`, so it is policy-checked, redacted, audited and
recorded in the run's evidence ledger (or the source is marked failed). Prometheus answers are read
with :mod:`agents.triage.timeseries`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agents.deps import AgentDeps, collect
from agents.evidence import Evidence, EvidenceLedger
from agents.triage.alert import NormalizedAlert
from agents.triage.findings import Targets
from agents.triage.timeseries import SeriesView, instant_values, range_views

RECENT_MIN = timedelta(minutes=30)


@dataclass(frozen=True)
class Window:
    """The time range the collectors look at, and the best known incident start."""

    start: datetime
    end: datetime
    step_s: int
    incident_start: datetime | None = None

    @property
    def recent_start(self) -> datetime:
        """Where "recent" begins: the incident start, but never less than 30 minutes before the end."""
        latest = self.end - RECENT_MIN
        return min(self.incident_start, latest) if self.incident_start else self.end - timedelta(hours=1)


@dataclass
class CollectorContext:
    """Everything one collector needs; each collector writes to its own ledger."""

    deps: AgentDeps
    alert: NormalizedAlert
    targets: Targets
    window: Window
    ledger: EvidenceLedger = field(default_factory=EvidenceLedger)
    expression: str = ""

    def call(
        self, tool: str, args: dict[str, Any], summary: str, query: str | None = None
    ) -> Evidence | None:
        """Call a tool through the gateway into this ledger. ``not_found`` is an answer, not an outage:
        it returns None without marking the source failed."""
        source = tool.split(".", 1)[0]
        before = self.ledger.sources.get(source)
        ev = collect(self.deps, self.ledger, tool, args, summary=summary, query=query)
        status = self.ledger.sources.get(source)
        if ev is None and status is not None and status.error.startswith("not_found"):
            if before is None:
                del self.ledger.sources[source]
            else:
                self.ledger.sources[source] = before
        return ev


def quote(value: str) -> str:
    """A PromQL string literal body (backslash and double quote escaped)."""
    return value.replace("\\", "\\\\").replace('"', '\\"')


def selector(**labels: str | None) -> str:
    """``{a="x",b="y"}`` from the labels that are set; keys ending in ``_re`` become ``=~`` matchers."""
    parts = []
    for key, value in labels.items():
        if value is None:
            continue
        if key.endswith("_re"):
            parts.append(f'{key[:-3]}=~"{quote(value)}"')
        else:
            parts.append(f'{key}="{quote(value)}"')
    return "{" + ",".join(parts) + "}"


def query_range(
    cx: CollectorContext, promql: str, summary: str, *, start: datetime | None = None
) -> tuple[Evidence | None, list[SeriesView]]:
    """Summaries of a range query from ``start`` (default: the window start) to the window end."""
    w = cx.window
    args = {
        "promql": promql,
        "start": (start or w.start).isoformat(),
        "end": w.end.isoformat(),
        "step": f"{w.step_s}s",
    }
    ev = cx.call("prometheus.query_range", args, summary, query=promql)
    return ev, range_views(ev.data) if ev else []


def query_recent(cx: CollectorContext, promql: str, summary: str) -> tuple[Evidence | None, list[SeriesView]]:
    """Summaries of a range query over the recent part of the window (since the incident start)."""
    return query_range(cx, promql, summary, start=cx.window.recent_start)


def query_instant(
    cx: CollectorContext, promql: str, summary: str
) -> tuple[Evidence | None, list[tuple[dict[str, str], float]]]:
    """``(labels, value)`` pairs of an instant query at the window's end."""
    ev = cx.call(
        "prometheus.query", {"promql": promql, "at": cx.window.end.isoformat()}, summary, query=promql
    )
    return ev, instant_values(ev.data) if ev else []


def annotate(ev: Evidence | None, value: Any, summary: str | None = None, at: datetime | None = None) -> None:
    """Set the value (and optionally the summary and time) an evidence item reports."""
    if ev is None:
        return
    ev.value = value
    if summary:
        ev.summary = summary
    if at is not None:
        ev.at = at
