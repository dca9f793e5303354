"""Request rate of the target services against its seasonal baseline: is there a traffic surge?

The baseline is robust and seasonal, not a fixed threshold: the rate over the same minutes of the day on
each of the previous :data:`BASELINE_DAYS` days (``offset 1d`` … ``offset 7d``, one query), summarized by
their median, with the median absolute deviation (MAD) as their spread. Over the recent part of the
window (since the incident start):

* ``traffic_above_baseline``: the rate is at least :data:`SURGE_RATIO` × the baseline and, when at least
  three previous days are known, more than :data:`MAD_K` scaled MADs above it;
* ``traffic_at_baseline``: the rate is at most :data:`AT_RATIO` × the baseline (evidence against a surge);
* ``traffic_rise``: the rate's level shift near the incident start (at least doubling, whatever the
  baseline; used when the history is too short for one).
"""

from __future__ import annotations

import statistics

from agents.triage.collectors.base import CollectorContext, annotate, query_range, selector
from agents.triage.findings import Finding
from agents.triage.kinds.base import Signal
from agents.triage.models import Culprit
from agents.triage.timeseries import rise

BASELINE_DAYS = 7
SURGE_RATIO = 2.0
AT_RATIO = 1.3
MAD_K = 4.0
RISE = 1.0
MAX_SERVICES = 3


def _family(cx: CollectorContext, service: str) -> str:
    return "model_requests_total" if service in cx.targets.model_services else "http_requests_total"


def _subject(cx: CollectorContext, service: str) -> Culprit:
    model = cx.targets.model if service in cx.targets.model_services else None
    return Culprit(model=model, workload=service, namespace=cx.targets.namespace)


def seasonal_query(rate: str, days: int = BASELINE_DAYS) -> str:
    """``rate`` (a ``sum(rate(x{...}[15m]$OFFSET))`` template) now and on each previous day, each series
    labelled ``day="<n>"`` (0 = today)."""
    parts = [
        f'label_replace({rate.replace("$OFFSET", f" offset {d}d" if d else "")}, "day", "{d}", "", "")'
        for d in range(days + 1)
    ]
    return " or ".join(parts)


def baseline(days: list[float]) -> tuple[float, float]:
    """Median and scaled median absolute deviation of the previous days' rates."""
    median = statistics.median(days)
    mad = 1.4826 * statistics.median(abs(d - median) for d in days)
    return median, mad


def compare(current: float, days: list[float]) -> tuple[Signal | None, float, float]:
    """The signal (or None), the ratio to the baseline and its strength for a rate against its days."""
    median, mad = baseline(days)
    if median <= 0:
        return (Signal.TRAFFIC_ABOVE_BASELINE, float("inf"), 1.0) if current > 0 else (None, 0.0, 0.0)
    ratio = current / median
    spread_ok = len(days) < 3 or current - median > MAD_K * mad
    if ratio >= SURGE_RATIO and spread_ok:
        return Signal.TRAFFIC_ABOVE_BASELINE, ratio, min(1.0, ratio / (1.5 * SURGE_RATIO))
    if ratio <= AT_RATIO:
        return Signal.TRAFFIC_AT_BASELINE, ratio, 1.0
    return None, ratio, 0.0


def _seasonal(cx: CollectorContext, service: str, family: str, sel: str) -> list[Finding]:
    rate = f"sum(rate({family}{sel}[15m]$OFFSET))"
    ev, views = query_range(
        cx,
        seasonal_query(rate),
        f"request rate of {service} now and the same time on previous days",
        start=cx.window.recent_start,
    )
    by_day = {int(v.labels.get("day", "-1")): v.mean for v in views if v.mean is not None}
    current, days = by_day.pop(0, None), [m for d, m in sorted(by_day.items()) if d > 0]
    if ev is None or current is None or not days:
        annotate(ev, "no rate now or no previous day to compare with")
        return []
    signal, ratio, strength = compare(current, days)
    median, mad = baseline(days)
    annotate(
        ev,
        {"now_rps": round(current, 3), "baseline_rps": round(median, 3), "mad": round(mad, 3),
         "ratio": round(ratio, 2), "days": len(days)},
    )  # fmt: skip
    if signal is None:
        return []
    return [
        Finding(
            signal=signal,
            subject=_subject(cx, service),
            strength=strength,
            evidence=[ev.id],
            value=round(ratio, 2),
            detail=f"{service} {current:.3g} req/s vs {median:.3g} req/s at this time on the previous "
            f"{len(days)} day(s) (×{ratio:.1f})",
        )
    ]


def _rise(cx: CollectorContext, service: str, family: str, sel: str) -> list[Finding]:
    ev, views = query_range(cx, f"sum(rate({family}{sel}[15m]))", f"request rate of {service}")
    view = views[0] if views else None
    shift = rise(view, min_relative=RISE, near=cx.window.incident_start) if view else None
    annotate(
        ev, {"last": view.last, "mean": view.mean} if view else "no traffic", at=shift.at if shift else None
    )
    if ev is None or shift is None:
        return []
    return [
        Finding(
            signal=Signal.TRAFFIC_RISE,
            subject=_subject(cx, service),
            strength=min(1.0, shift.relative / (2 * RISE)),
            evidence=[ev.id],
            at=shift.at,
            value=round(shift.after, 3),
            detail=f"{service} request rate {shift.before:.3g} -> {shift.after:.3g} req/s at {shift.at:%H:%M}",
        )
    ]


def collect_traffic(cx: CollectorContext) -> list[Finding]:
    """Seasonal-baseline and level-shift findings of each target service's request rate."""
    findings: list[Finding] = []
    for service in cx.targets.services[:MAX_SERVICES]:
        family = _family(cx, service)
        sel = selector(namespace=cx.targets.namespace, service=service)
        findings += _seasonal(cx, service, family, sel) + _rise(cx, service, family, sel)
    return findings
