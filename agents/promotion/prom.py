"""PromQL the canary/SLO gate asks, and parsing of ``prometheus.*`` tool results.

The series are the serving metrics of the sandbox catalogue (and of a standard model server):
``model_requests_total{model,version,code}`` and the histogram ``model_request_duration_seconds``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from agents.evidence import Evidence
from agents.promotion.models import SloFacts

Getter = Callable[[str, dict[str, Any], str], Evidence | None]


def selector(model: str, version: str) -> str:
    """Label matchers of one model version's serving series (values escaped for PromQL)."""

    def esc(value: str) -> str:
        return value.replace("\\", "\\\\").replace('"', '\\"')

    return f'model="{esc(model)}",version="{esc(version)}"'


def queries(model: str, version: str, window: str) -> dict[str, str]:
    """The three instant queries of the SLO gate: requests, error rate and p99 latency over ``window``."""
    sel = selector(model, version)
    return {
        "requests": f"sum(increase(model_requests_total{{{sel}}}[{window}]))",
        "error_rate": (
            f'sum(rate(model_requests_total{{{sel},code=~"5.."}}[{window}])) '
            f"/ sum(rate(model_requests_total{{{sel}}}[{window}]))"
        ),
        "latency_p99_s": (
            f"histogram_quantile(0.99, sum by (le) "
            f"(rate(model_request_duration_seconds_bucket{{{sel}}}[{window}])))"
        ),
    }


def scalar(data: Any) -> float | None:
    """The single value of a ``prometheus.query`` result (``{samples: [{labels, value, ts}]}``); None when empty or NaN."""
    samples: Any = data.get("samples", data.get("result", [])) if isinstance(data, dict) else data or []
    if not samples:
        return None
    first = samples[0]
    raw = first.get("value") if isinstance(first, dict) else None
    if isinstance(raw, list):  # raw Prometheus API shape [ts, "v"]
        raw = raw[1]
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) or math.isinf(value) else value


def slo_facts(get: Getter, model: str, version: str, window: str) -> SloFacts | None:
    """Run the SLO queries through ``get``; None when Prometheus did not answer the first one."""
    qs = queries(model, version, window)
    facts = SloFacts(window=window, selector=f"{{{selector(model, version)}}}")
    requests = get(
        "prometheus.query", {"promql": qs["requests"]}, f"requests to {model} v{version} in {window}"
    )
    if requests is None:
        return None
    facts.requests = scalar(requests.data) or 0.0
    facts.evidence.append(requests.id)
    if facts.requests <= 0:
        return facts
    for key in ("error_rate", "latency_p99_s"):
        ev = get("prometheus.query", {"promql": qs[key]}, f"{key} of {model} v{version} over {window}")
        if ev is not None:
            setattr(facts, key, scalar(ev.data))
            facts.evidence.append(ev.id)
    return facts


def alert_list(data: Any) -> list[dict[str, Any]]:
    """Alerts from a ``prometheus.alerts`` result (a list, or the raw API's ``{"alerts": [...]}``)."""
    if isinstance(data, dict):
        data = data.get("alerts", [])
    return [a for a in data or [] if isinstance(a, dict) and isinstance(a.get("labels"), dict)]
