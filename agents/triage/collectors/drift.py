"""Drift of the target model: per-feature PSI (``model_feature_psi``) and prediction PSI.

PSI bands are the usual ones: under 0.1 stable, 0.1–0.25 moderate shift, 0.25 and above a major
shift. The latest value of each feature's PSI gives ``feature_psi_high`` or ``feature_psi_moderate``; a
mean-shift change point upward is ``psi_shift``; prediction PSI at or above 0.1 is ``prediction_psi_up``.
"""

from __future__ import annotations

from agents.triage.collectors.base import CollectorContext, annotate, query_range, selector
from agents.triage.findings import Finding
from agents.triage.kinds.base import Signal
from agents.triage.models import Culprit
from agents.triage.timeseries import SeriesView, rise

MODERATE = 0.1
MAJOR = 0.25


def _feature_findings(cx: CollectorContext, view: SeriesView, evidence: str) -> list[Finding]:
    """PSI band of one feature from its latest value, plus an upward level shift if there is one."""
    feature = view.labels.get("feature")
    fv = view.labels.get("feature_view") or cx.targets.view_of(feature or "")
    subject = Culprit(model=cx.targets.model, feature_view=fv, feature=feature)
    level = view.last or 0.0
    out: list[Finding] = []
    if level >= MAJOR:
        out.append(
            Finding(
                signal=Signal.FEATURE_PSI_HIGH,
                subject=subject,
                strength=min(1.0, level / 0.4),
                evidence=[evidence],
                value=round(level, 4),
                detail=f"{feature} PSI {level:.2f} (major shift)",
            )
        )
    elif level >= MODERATE:
        out.append(
            Finding(
                signal=Signal.FEATURE_PSI_MODERATE,
                subject=subject,
                strength=min(1.0, level / MAJOR),
                evidence=[evidence],
                value=round(level, 4),
                detail=f"{feature} PSI {level:.2f} (moderate)",
            )
        )
    shift = rise(view, min_relative=1.0, near=cx.window.incident_start)
    if out and shift:
        out.append(
            Finding(
                signal=Signal.PSI_SHIFT,
                subject=subject,
                evidence=[evidence],
                at=shift.at,
                value=round(shift.after, 4),
                detail=f"{feature} PSI rose {shift.before:.2f} -> {shift.after:.2f} at {shift.at:%H:%M}",
            )
        )
    return out


def collect_drift(cx: CollectorContext) -> list[Finding]:
    """Feature and prediction PSI of the target model (latest value and level shifts over the window)."""
    model = cx.targets.model
    if not model:
        return []
    findings: list[Finding] = []
    ev, views = query_range(cx, f"model_feature_psi{selector(model=model)}", f"feature PSI of {model}")
    if ev is not None:
        annotate(ev, {v.labels.get("feature", "?"): v.last for v in views} or "no PSI series")
        for view in views:
            findings += _feature_findings(cx, view, ev.id)
    ev, views = query_range(
        cx, f"max(model_prediction_psi{selector(model=model)})", f"prediction PSI of {model}"
    )
    level = max((v.last for v in views if v.last is not None), default=0.0)
    annotate(ev, round(level, 4) if views else "no PSI series")
    if ev is not None and level >= MODERATE:
        findings.append(
            Finding(
                signal=Signal.PREDICTION_PSI_UP,
                subject=Culprit(model=model),
                evidence=[ev.id],
                value=round(level, 4),
                strength=min(1.0, level / MAJOR),
                detail=f"{model} prediction PSI {level:.2f}",
            )
        )
    return findings
