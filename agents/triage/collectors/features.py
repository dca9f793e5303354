"""Feature collectors: Feast freshness and online/offline parity, and the freshness metric in Prometheus.

* ``feast_stale`` / ``feast_late``: Feast says the view is past its TTL / past twice its schedule.
* ``parity_mismatch``: at least :data:`SKEW_RATE` of the sampled entities disagree between the online
  store and the point-in-time offline join for a feature; ``parity_clean`` when none do.
* ``materialization_lag``: Prometheus' ``feast_feature_view_last_materialization_timestamp_seconds``
  is more than twice the view's interval old (a second, independent source for staleness).
"""

from __future__ import annotations

from agents.triage.collectors.base import CollectorContext, annotate, query_instant, selector
from agents.triage.findings import Finding
from agents.triage.kinds.base import Signal
from agents.triage.models import Culprit

SKEW_RATE = 0.2
PARITY_SAMPLE = 40
MAX_VIEWS = 3


def _culprit(cx: CollectorContext, view: str, feature: str | None = None) -> Culprit:
    return Culprit(feature_view=view, feature=feature, model=cx.targets.model)


def _freshness(cx: CollectorContext, view: str) -> list[Finding]:
    ev = cx.call("feast.freshness", {"name": view}, summary=f"Feast freshness of {view}", query=view)
    if ev is None:
        return []
    rows = (ev.data or {}).get("views", [])
    row = next((r for r in rows if r.get("feature_view") == view), None)
    if row is None:
        return []
    status, age = row.get("status"), row.get("age_s")
    annotate(
        ev,
        {"status": status, "age_s": age, "ttl_s": row.get("ttl_s"), "schedule_s": row.get("schedule_s")},
        summary=f"{view}: {status} ({row.get('reason', '')})",
    )
    if status in {"stale", "never"}:
        return [
            Finding(
                signal=Signal.FEAST_STALE,
                subject=_culprit(cx, view),
                evidence=[ev.id],
                value=age,
                detail=f"{view} {status}: {row.get('reason', '')}",
            )
        ]
    if status == "late":
        return [
            Finding(
                signal=Signal.FEAST_LATE,
                subject=_culprit(cx, view),
                evidence=[ev.id],
                value=age,
                detail=f"{view} late: {row.get('reason', '')}",
            )
        ]
    return []


def _parity(cx: CollectorContext, view: str) -> list[Finding]:
    ev = cx.call(
        "feast.parity",
        {"name": view, "sample_size": PARITY_SAMPLE},
        summary=f"online/offline parity of {view}",
        query=f"{view} (sample {PARITY_SAMPLE})",
    )
    if ev is None:
        return []
    features = (ev.data or {}).get("features", [])
    rates = {f["feature"]: float(f.get("mismatch_rate") or 0.0) for f in features}
    annotate(ev, {k: round(v, 3) for k, v in rates.items()})
    skewed = [(ref, rate) for ref, rate in rates.items() if rate >= SKEW_RATE]
    if not skewed:
        return [
            Finding(
                signal=Signal.PARITY_CLEAN,
                subject=_culprit(cx, view),
                evidence=[ev.id],
                detail=f"{view}: online matches offline for {len(rates)} features",
            )
        ]
    return [
        Finding(
            signal=Signal.PARITY_MISMATCH,
            subject=_culprit(cx, view, ref.partition(":")[2] or ref),
            strength=min(1.0, rate / 0.5),
            evidence=[ev.id],
            value=round(rate, 3),
            detail=f"{ref}: {rate:.0%} of sampled entities differ online vs offline",
        )
        for ref, rate in skewed
    ]


def _lag_metric(cx: CollectorContext, view: str) -> list[Finding]:
    sel = selector(feature_view=view)
    promql = f"time() - max(feast_feature_view_last_materialization_timestamp_seconds{sel})"
    ev, series = query_instant(cx, promql, f"seconds since {view} was last materialized")
    lag = max((v for _, v in series), default=-1.0)
    interval_ev, interval = query_instant(
        cx,
        f"max(feast_feature_view_materialization_interval_seconds{sel})",
        f"materialization interval of {view}",
    )
    schedule = max((v for _, v in interval), default=0.0)
    annotate(interval_ev, schedule)
    annotate(ev, round(lag, 1))
    if ev is None or schedule <= 0 or lag <= 2 * schedule:
        return []
    ids = [ev.id] + ([interval_ev.id] if interval_ev else [])
    return [
        Finding(
            signal=Signal.MATERIALIZATION_LAG,
            subject=_culprit(cx, view),
            strength=min(1.0, lag / (4 * schedule)),
            evidence=ids,
            value=lag,
            detail=f"{view} last materialized {lag / 3600:.1f}h ago (interval {schedule / 60:.0f}m)",
        )
    ]


def collect_feast(cx: CollectorContext) -> list[Finding]:
    """Freshness and parity of the target feature views (Feast)."""
    findings: list[Finding] = []
    for view in cx.targets.feature_views[:MAX_VIEWS]:
        findings += _freshness(cx, view)
        findings += _parity(cx, view)
    return findings


def collect_freshness_metric(cx: CollectorContext) -> list[Finding]:
    """Materialization lag of the target feature views from Prometheus."""
    findings: list[Finding] = []
    for view in cx.targets.feature_views[:MAX_VIEWS]:
        findings += _lag_metric(cx, view)
    return findings
