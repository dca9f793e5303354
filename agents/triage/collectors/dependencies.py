"""Client-side view of the calls each target service makes to its dependencies (the online feature
store, downstream services): latency p99 and error ratio per dependency.

The metrics are whatever the platform's clients export, named by the label map
(:class:`agents.triage.labels.LabelMap`): latency histograms ``dependency_histograms`` (by default a plain
``dependency_request_duration_seconds``, OpenTelemetry's ``http_client_request_duration_seconds`` and
gRPC's ``grpc_client_handling_seconds``), the dependency in one of the ``dependency`` labels
(``dependency``, ``upstream``, ``target``, ``server_address``...), the caller in one of the
``dependency_caller`` labels, the outcome in one of the ``dependency_status`` labels. Signals:

* ``dependency_latency_up``: a dependency's p99 at least doubled (:data:`LATENCY_JUMP`) near the start;
* ``dependency_errors_up``: its error ratio at least doubled and ended above :data:`ERROR_FLOOR`.
"""

from __future__ import annotations

import re

from agents.triage.collectors.base import CollectorContext, annotate, query_range, quote
from agents.triage.findings import Finding
from agents.triage.kinds.base import Signal
from agents.triage.labels import LabelMap
from agents.triage.models import Culprit
from agents.triage.timeseries import SeriesView, rise

LATENCY_JUMP = 1.0
ERROR_JUMP = 1.0
ERROR_FLOOR = 0.01
MAX_SERVICES = 3


def _matchers(m: LabelMap, suffix: str, caller_label: str, service: str, namespace: str | None) -> str:
    names = "|".join(re.escape(f"{h}{suffix}") for h in m.dependency_histograms)
    parts = [f'__name__=~"{names}"', f'{caller_label}="{quote(service)}"']
    if namespace:
        parts.append(f'namespace="{quote(namespace)}"')
    return ",".join(parts)


def latency_query(m: LabelMap, service: str, namespace: str | None) -> str:
    """p99 of each dependency the service calls, whichever caller label its client metrics carry."""
    by = ", ".join(["le", *m.dependency])
    return " or ".join(
        f"histogram_quantile(0.99, sum by ({by}) (rate({{{_matchers(m, '_bucket', c, service, namespace)}}}[15m])))"
        for c in m.dependency_caller
    )


def error_query(m: LabelMap, service: str, namespace: str | None) -> str:
    """Error ratio of each dependency the service calls (failed calls / all calls)."""
    by = ", ".join(m.dependency)
    ratios = []
    for c in m.dependency_caller:
        sel = _matchers(m, "_count", c, service, namespace)
        failed = " or ".join(
            f'sum by ({by}) (rate({{{sel},{s}=~"{m.dependency_error_values}"}}[15m]))'
            for s in m.dependency_status
        )
        ratios.append(f"(({failed}) / sum by ({by}) (rate({{{sel}}}[15m])))")
    return " or ".join(ratios)


def _name(m: LabelMap, view: SeriesView) -> str | None:
    return next((view.labels[k] for k in m.dependency if view.labels.get(k)), None)


def _findings(
    cx: CollectorContext,
    m: LabelMap,
    service: str,
    what: str,
    promql: str,
    signal: Signal,
    jump: float,
    floor: float,
) -> list[Finding]:
    ev, views = query_range(cx, promql, f"{what} of the dependencies of {service}")
    out: list[Finding] = []
    seen: dict[str, str] = {}
    for view in views:
        dependency = _name(m, view)
        if dependency is None or dependency in seen:
            continue
        shift = rise(view, min_relative=jump, near=cx.window.incident_start)
        seen[dependency] = (
            f"{shift.before:.4g} -> {shift.after:.4g} at {shift.at:%H:%M}" if shift else f"{view.mean}"
        )
        if ev is None or shift is None or shift.after < floor:
            continue
        out.append(
            Finding(
                signal=signal,
                subject=Culprit(
                    workload=service,
                    namespace=cx.targets.namespace,
                    model=cx.targets.model if service in cx.targets.model_services else None,
                    dependency=dependency,
                ),
                strength=min(1.0, shift.relative / (2 * jump)),
                evidence=[ev.id],
                at=shift.at,
                value=round(shift.after, 5),
                detail=f"{service} → {dependency} {what} {shift.before:.4g} -> {shift.after:.4g} at {shift.at:%H:%M}",
            )
        )
    annotate(ev, seen or "no client-side dependency metrics")
    return out


def collect_dependencies(cx: CollectorContext) -> list[Finding]:
    """Latency and error findings of each target service's dependencies, from its client-side metrics."""
    m = LabelMap()
    findings: list[Finding] = []
    ns = cx.targets.namespace
    for service in cx.targets.services[:MAX_SERVICES]:
        findings += _findings(
            cx,
            m,
            service,
            "latency p99 (s)",
            latency_query(m, service, ns),
            Signal.DEPENDENCY_LATENCY_UP,
            LATENCY_JUMP,
            0.0,
        )
        findings += _findings(
            cx,
            m,
            service,
            "error ratio",
            error_query(m, service, ns),
            Signal.DEPENDENCY_ERRORS_UP,
            ERROR_JUMP,
            ERROR_FLOOR,
        )
    return findings
