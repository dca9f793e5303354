"""Context collectors: the alert's own rule expression over time, cost, and the matching runbook.

These gather evidence for the report (and the alert's first firing time, the best incident-start
estimate when the payload has none); only ``gpu_cost`` is a scoring signal.
"""

from __future__ import annotations

from typing import Any

from agents.triage.collectors.base import CollectorContext, annotate, query_range
from agents.triage.findings import Finding
from agents.triage.kinds.base import Signal
from agents.triage.models import Culprit

MAX_WORKLOADS = 3


def find_rule(cx: CollectorContext) -> dict[str, Any] | None:
    """The loaded alerting rule named like the alert (None when Prometheus has none or is down)."""
    ev = cx.call("prometheus.rules", {"type": "alert"}, summary="loaded alerting rules", query="type=alert")
    if ev is None:
        return None
    groups = ev.data if isinstance(ev.data, list) else []
    rule = next((r for g in groups for r in g.get("rules", []) if r.get("name") == cx.alert.alertname), None)
    annotate(
        ev,
        rule.get("query") if rule else f"no rule named {cx.alert.alertname}",
        summary=f"rule {cx.alert.alertname}" if rule else "no matching rule",
    )
    if rule:
        cx.expression = str(rule.get("query") or "")
    return rule


def _matches(labels: dict[str, str], alert_labels: dict[str, str]) -> bool:
    return all(alert_labels.get(k) == v for k, v in labels.items() if k in alert_labels)


def collect_alert_expression(cx: CollectorContext) -> dict[str, Any]:
    """The rule's expression over the window, restricted to the alert's series: first firing time, value."""
    rule = find_rule(cx)
    if not rule:
        return {}
    expr = str(rule["query"])
    ev, views = query_range(cx, expr, f"alert expression of {cx.alert.alertname}")
    mine = [v for v in views if _matches(v.labels, cx.alert.labels)]
    firing_since = min((v.first_at for v in mine if v.first_at), default=None)
    value = max((v.last for v in mine if v.last is not None), default=None)
    annotate(
        ev,
        {
            "series": len(mine),
            "first_true": firing_since.isoformat() if firing_since else None,
            "last": value,
        },
        at=firing_since,
    )
    return {
        "expression": expr,
        "for_s": rule.get("duration_s", 0.0),
        "firing_since": firing_since,
        "value": value,
        "evidence": ev.id if ev else None,
    }


def collect_cost(cx: CollectorContext) -> list[Finding]:
    """Run-rate of each target workload from billing (GPU lines → ``gpu_cost``), and cost spikes."""
    findings: list[Finding] = []
    for workload in cx.targets.workloads[:MAX_WORKLOADS]:
        ev = cx.call(
            "billing.resource_cost",
            {"tags": {"workload": workload}, "days": 7},
            summary=f"cost of {workload} (last 7 days)",
            query=f"tag:workload={workload}",
        )
        if ev is not None:
            data = ev.data or {}
            gpu = [ln for ln in data.get("lines", []) if "GPU" in str(ln.get("sku_id") or "").upper()]
            annotate(
                ev,
                {
                    "monthly_effective": data.get("monthly_effective"),
                    "currency": data.get("currency"),
                    "gpu_lines": [ln.get("sku_id") for ln in gpu],
                },
            )
            if gpu:
                cost = sum(float(ln.get("effective_cost") or 0) for ln in gpu)
                findings.append(
                    Finding(
                        signal=Signal.GPU_COST,
                        subject=Culprit(workload=workload),
                        evidence=[ev.id],
                        value=round(cost, 2),
                        detail=f"GPU lines cost {cost:.2f} {data.get('currency', '')} in 7 days",
                    )
                )
        spikes = cx.call(
            "billing.anomalies",
            {"dimension": "tag:workload", "filters": {"tag:workload": workload}, "lookback_days": 14},
            summary=f"daily cost spikes of {workload}",
            query=f"tag:workload={workload}",
        )
        annotate(
            spikes,
            [f"{a.get('day')}: z={a.get('z_score')}" for a in (spikes.data or [])] or "no spikes"
            if spikes
            else None,
        )
    return findings


def collect_runbook(cx: CollectorContext) -> dict[str, Any]:
    """The library's runbook for the alert, when a ``runbooks.find`` tool is registered."""
    if not any(s.name == "runbooks.find" for s in cx.deps.gateway.specs("runbooks.")):
        return {}
    ev = cx.call(
        "runbooks.find",
        {"alert": cx.alert.alertname},
        summary=f"runbook for {cx.alert.alertname}",
        query=cx.alert.alertname,
    )
    if ev is None:
        return {}
    data = ev.data or {}
    annotate(ev, data.get("url"))
    return {"runbook_url": data.get("url"), "sections": data.get("sections", []), "evidence": ev.id}
