"""Deploy events on a stock MLflow registry (no ``referent.alias_history`` tag): what the platform shows.

Two sources, in order:

* the serving metrics: a ``version`` label of ``model_requests_total`` whose traffic starts inside the
  window is the deploy event (``version_took_traffic``, at its first sample); the previous version is the
  one that served before it;
* the registry: a version created within the window that a production alias now points at
  (``new_production_version``, at its creation time), when the metrics show no rollout.

Each event has the shape of an alias move (``alias``, ``version``, ``previous_version``, ``at``, ``by``,
``evidence``) plus the ``signal`` it stands for.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from agents.triage.collectors.base import CollectorContext, annotate, query_range, selector
from agents.triage.kinds.base import Signal
from agents.triage.timeseries import SeriesView

PRODUCTION_ALIASES = frozenset({"champion", "production", "prod"})


def _production_alias(versions: list[dict[str, Any]], version: str) -> str | None:
    for v in versions:
        if str(v.get("version")) == version:
            return next((a for a in v.get("aliases", []) if a in PRODUCTION_ALIASES), None)
    return None


def _previous(views: list[SeriesView], started: datetime, version: str) -> str | None:
    """The version that served before ``started`` (the longest-serving one)."""
    before = [v for v in views if v.labels.get("version") != version and v.first_at and v.first_at < started]
    best = min(before, key=lambda v: v.first_at or started, default=None)
    return best.labels.get("version") if best else None


def traffic_rollouts(
    cx: CollectorContext, model: str, versions: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Versions whose serving traffic began inside the window (not at its start)."""
    sel = selector(namespace=cx.targets.namespace, model=model)
    promql = f"sum by (version) (rate(model_requests_total{sel}[15m]))"
    ev, views = query_range(cx, promql, f"traffic by version of {model}")
    if ev is None:
        return []
    late = cx.window.start + timedelta(seconds=3 * cx.window.step_s)
    events = []
    for view in views:
        version = view.labels.get("version")
        if not version or view.first_at is None or view.first_at <= late:
            continue
        events.append(
            {
                "signal": Signal.VERSION_TOOK_TRAFFIC,
                "alias": _production_alias(versions, version),
                "version": int(version),
                "previous_version": _previous(views, view.first_at, version),
                "at": view.first_at.isoformat(),
                "by": "serving metrics",
                "evidence": ev.id,
            }
        )
    annotate(
        ev,
        [f"v{e['version']} took traffic at {e['at']} (after v{e['previous_version']})" for e in events]
        or {f"v{v.labels.get('version')}": f"serving since {v.first_at:%H:%M}" for v in views if v.first_at},
    )
    return events


def registry_rollouts(versions: list[dict[str, Any]], evidence: str) -> list[dict[str, Any]]:
    """Versions created in the window that a production alias points at now."""
    events = []
    for v in versions:
        alias = _production_alias(versions, str(v.get("version")))
        if alias is None:
            continue
        number = int(v["version"])
        events.append(
            {
                "signal": Signal.NEW_PRODUCTION_VERSION,
                "alias": alias,
                "version": number,
                "previous_version": number - 1 if number > 1 else None,
                "at": str(v.get("registered_at") or v.get("created_at")),
                "by": "registry (version creation time)",
                "evidence": evidence,
            }
        )
    return events
