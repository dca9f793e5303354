"""Golden signals of the target services: traffic, errors, latency p99 — and per-version error ratios.

A service with ``model_requests_total`` is a model server (its series carry ``model`` and ``version``);
others use ``http_requests_total``. A change point in the error ratio (up by at least
:data:`ERROR_JUMP` relative, ending above :data:`ERROR_FLOOR`) is ``serving_errors_up``; in latency p99
(up by at least :data:`LATENCY_JUMP`) ``serving_latency_up``. For model servers, the version whose error
ratio is at least twice every other version's over the window is ``version_errors_higher``; when no
version stands out, each version erring at most :data:`SAME_FACTOR` × the best other one is
``version_errors_same``, and a service whose errors and latency did not rise is ``serving_steady``
(evidence against a bad deploy of its model, or against a slow dependency having hurt it).
"""

from __future__ import annotations

from agents.triage.collectors.base import CollectorContext, annotate, query_range, selector
from agents.triage.findings import Finding
from agents.triage.kinds.base import Signal
from agents.triage.models import Culprit
from agents.triage.timeseries import rise

ERROR_JUMP = 1.0
ERROR_FLOOR = 0.005
LATENCY_JUMP = 0.5
MAX_SERVICES = 3
SAME_FACTOR = 1.5


def _families(cx: CollectorContext, service: str) -> tuple[str, str]:
    if service in cx.targets.model_services:
        return "model_requests_total", "model_request_duration_seconds_bucket"
    return "http_requests_total", "http_request_duration_seconds_bucket"


def _subject(cx: CollectorContext, service: str) -> Culprit:
    model = cx.targets.model if service in cx.targets.model_services else None
    return Culprit(model=model, workload=service, namespace=cx.targets.namespace)


def _signal(
    cx: CollectorContext, service: str, name: str, promql: str, jump: float, floor: float, signal: Signal
) -> tuple[list[Finding], str | None]:
    """The ``signal`` finding when the series rose past ``jump`` (and ``floor``), and the evidence id
    when the series had data (``None`` when it had none)."""
    ev, views = query_range(cx, promql, f"{name} of {service}")
    view = views[0] if views else None
    shift = rise(view, min_relative=jump, near=cx.window.incident_start) if view else None
    annotate(
        ev,
        {
            "last": view.last,
            "max": view.maximum,
            "shift": f"{shift.before:.4g} -> {shift.after:.4g} at {shift.at:%H:%M}" if shift else None,
        }
        if view
        else "no data",
        at=shift.at if shift else None,
    )
    seen = ev.id if ev is not None and view is not None else None
    if ev is None or shift is None or shift.after < floor:
        return [], seen
    return [
        Finding(
            signal=signal,
            subject=_subject(cx, service),
            strength=min(1.0, shift.relative / (2 * jump)),
            evidence=[ev.id],
            at=shift.at,
            value=round(shift.after, 5),
            detail=f"{service} {name} {shift.before:.4g} -> {shift.after:.4g} at {shift.at:%H:%M}",
        )
    ], seen


def _traffic(cx: CollectorContext, service: str, family: str, sel: str) -> None:
    ev, views = query_range(cx, f"sum(rate({family}{sel}[15m]))", f"traffic (req/s) of {service}")
    annotate(ev, {"last": views[0].last, "mean": views[0].mean} if views else "no traffic")


def _same_versions(cx: CollectorContext, service: str, ratios: dict[str, float], ev: str) -> list[Finding]:
    """``version_errors_same`` for each version erring no more than :data:`SAME_FACTOR` × the best other."""
    out = []
    for version, ratio in ratios.items():
        best = min(m for v, m in ratios.items() if v != version)
        if ratio <= max(SAME_FACTOR * best, ERROR_FLOOR / 5):
            out.append(
                Finding(
                    signal=Signal.VERSION_ERRORS_SAME,
                    subject=Culprit(model=cx.targets.model, version=version, workload=service),
                    evidence=[ev],
                    value=round(ratio, 5),
                    detail=f"v{version} error ratio {ratio:.2%}, like the other versions (best {best:.2%})",
                )
            )
    return out


def _versions(cx: CollectorContext, service: str, sel: str, err_sel: str) -> list[Finding]:
    promql = (
        f"sum by (version) (rate(model_requests_total{err_sel}[15m]))"
        f" / sum by (version) (rate(model_requests_total{sel}[15m]))"
    )
    ev, views = query_range(cx, promql, f"error ratio by model version of {service}")
    ratios = {v.labels.get("version", "?"): v.mean for v in views if v.mean is not None}
    annotate(ev, {f"v{v}": round(m, 5) for v, m in ratios.items()})
    if ev is None or len(ratios) < 2:
        return []
    worst = max(ratios, key=lambda v: ratios[v])
    others = max(m for v, m in ratios.items() if v != worst)
    if ratios[worst] < ERROR_FLOOR or ratios[worst] < 2 * others:
        return _same_versions(cx, service, ratios, ev.id)
    subject = Culprit(model=cx.targets.model, version=worst, workload=service)
    return [
        Finding(
            signal=Signal.VERSION_ERRORS_HIGHER,
            subject=subject,
            evidence=[ev.id],
            value=round(ratios[worst], 5),
            detail=f"v{worst} error ratio {ratios[worst]:.2%} vs at most {others:.2%} for other versions",
        )
    ]


def _steady(cx: CollectorContext, service: str, seen: list[str]) -> list[Finding]:
    """``serving_steady``: a service whose errors and latency did not rise (evidence against a deploy of
    its model, or a dependency's trouble being its cause)."""
    if not seen:
        return []
    return [
        Finding(
            signal=Signal.SERVING_STEADY,
            subject=_subject(cx, service),
            evidence=seen,
            detail=f"{service} error ratio and latency p99 did not rise",
        )
    ]


def collect_golden(cx: CollectorContext) -> list[Finding]:
    """Traffic, error ratio, p99 latency (and per-version errors) of each target service."""
    findings: list[Finding] = []
    ns = cx.targets.namespace
    for service in cx.targets.services[:MAX_SERVICES]:
        family, buckets = _families(cx, service)
        sel = selector(namespace=ns, service=service)
        err_sel = selector(namespace=ns, service=service, code_re="5..")
        _traffic(cx, service, family, sel)
        errors = f"sum(rate({family}{err_sel}[15m])) / sum(rate({family}{sel}[15m]))"
        up, seen_errors = _signal(
            cx, service, "error ratio", errors, ERROR_JUMP, ERROR_FLOOR, Signal.SERVING_ERRORS_UP
        )
        latency = f"histogram_quantile(0.99, sum by (le) (rate({buckets}{sel}[15m])))"
        slower, seen_latency = _signal(
            cx, service, "latency p99 (s)", latency, LATENCY_JUMP, 0.0, Signal.SERVING_LATENCY_UP
        )
        findings += up + slower
        if not (up or slower) and seen_latency:
            findings += _steady(cx, service, [e for e in (seen_errors, seen_latency) if e])
        if family == "model_requests_total" and cx.targets.model:
            findings += _versions(cx, service, sel, err_sel)
    return findings
