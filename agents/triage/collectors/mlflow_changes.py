"""MLflow collector: production alias moves near the incident start, and what changed in that version.

A move of a production alias (``champion``, ``production``, ``prod``) within :data:`BEFORE` before the
incident start (or :data:`AFTER` after it) is the ``alias_moved`` signal (the scoring weighs it, like
every change point, by its distance from the alert's start). For the moved-to version the collector
compares the logged signature with the previous version's (``signature_changed``, or ``signature_same``:
evidence against) and checks the ``approval`` tag (``approval_missing``, or ``approval_present``:
evidence against). On a stock registry without the alias history tag, the deploy events come from
:mod:`agents.triage.collectors.rollout` (a new version taking traffic, or a new version holding a
production alias) and get the same checks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from agents.evidence import Evidence
from agents.triage.collectors.base import CollectorContext, annotate
from agents.triage.collectors.rollout import registry_rollouts, traffic_rollouts
from agents.triage.findings import Finding
from agents.triage.kinds.base import Signal
from agents.triage.models import Culprit

PRODUCTION_ALIASES = frozenset({"champion", "production", "prod"})
BEFORE = timedelta(hours=6)
AFTER = timedelta(minutes=30)


def _when(move: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(move["at"]).replace("Z", "+00:00"))


def _moves(cx: CollectorContext, model: str) -> list[dict[str, Any]]:
    start = cx.window.incident_start or cx.window.end
    hours = max((cx.window.end - (start - BEFORE)).total_seconds() / 3600, 1.0)
    ev = cx.call(
        "mlflow.changes_since",
        {"model": model, "hours": round(hours, 2)},
        summary=f"MLflow changes of {model} in the last {hours:.1f}h",
        query=f"{model} since {hours:.1f}h",
    )
    if ev is None:
        return []
    moves = [m for m in (ev.data or {}).get("alias_moves", []) if m.get("alias") in PRODUCTION_ALIASES]
    if not moves:  # a stock registry (no alias history): the serving metrics, then creation times
        created = (ev.data or {}).get("new_versions", [])
        return traffic_rollouts(cx, model, created) or registry_rollouts(created, ev.id)
    annotate(
        ev,
        [f"{m['alias']}: v{m.get('previous_version')} -> v{m.get('version')} at {m['at']}" for m in moves]
        or "no production alias moves",
        at=_when(moves[-1]) if moves else None,
    )
    for m in moves:
        m["evidence"] = ev.id
    return moves


def _signature(cx: CollectorContext, model: str, version: int) -> Evidence | None:
    return cx.call(
        "mlflow.signature",
        {"model": model, "version": version},
        summary=f"signature of {model} v{version}",
        query=f"{model} v{version}",
    )


def _signature_check(
    cx: CollectorContext, model: str, version: int, previous: int | None, culprit: Culprit
) -> list[Finding]:
    """``signature_changed`` when the version's inputs differ from the previous version's."""
    new = _signature(cx, model, version)
    old = _signature(cx, model, previous) if previous else None
    if not (new and old):
        return []
    cols = {
        ev.id: [(c.get("name"), c.get("type")) for c in (ev.data or {}).get("inputs", [])]
        for ev in (new, old)
    }
    changed = sorted({str(n) for n, _ in set(cols[new.id]) ^ set(cols[old.id])})
    annotate(new, {"inputs": [f"{n}:{t}" for n, t in cols[new.id]]})
    annotate(old, {"inputs": [f"{n}:{t}" for n, t in cols[old.id]]})
    if not changed:
        return [
            Finding(
                signal=Signal.SIGNATURE_SAME,
                subject=culprit,
                evidence=[new.id, old.id],
                detail=f"inputs unchanged from v{previous}",
            )
        ]
    return [
        Finding(
            signal=Signal.SIGNATURE_CHANGED,
            subject=culprit,
            evidence=[new.id, old.id],
            value=changed,
            detail=f"inputs differ from v{previous}: {', '.join(changed)}",
        )
    ]


def _approval_check(cx: CollectorContext, model: str, version: int, culprit: Culprit) -> list[Finding]:
    """``approval_missing`` when the version has no ``approval`` tag."""
    info = cx.call(
        "mlflow.get_version",
        {"model": model, "version": version},
        summary=f"{model} v{version} tags",
        query=f"{model} v{version}",
    )
    if info is None:
        return []
    tags = (info.data or {}).get("tags", {})
    annotate(info, {"approval": tags.get("approval"), "description": (info.data or {}).get("description")})
    if tags.get("approval"):
        return [
            Finding(
                signal=Signal.APPROVAL_PRESENT,
                subject=culprit,
                evidence=[info.id],
                detail=f"v{version} approved ({tags['approval']})",
            )
        ]
    return [
        Finding(
            signal=Signal.APPROVAL_MISSING,
            subject=culprit,
            evidence=[info.id],
            detail=f"v{version} has no approval tag",
        )
    ]


def _version_checks(
    cx: CollectorContext, model: str, version: int, previous: int | None, culprit: Culprit
) -> list[Finding]:
    return _signature_check(cx, model, version, previous, culprit) + _approval_check(
        cx, model, version, culprit
    )


def collect_mlflow(cx: CollectorContext) -> list[Finding]:
    """``alias_moved`` (or a stock-registry deploy event) + signature/approval findings for the target model."""
    model = cx.targets.model
    if not model:
        return []
    start = cx.window.incident_start or cx.window.end
    findings: list[Finding] = []
    for move in _moves(cx, model):
        at = _when(move)
        if move.get("version") is None or not (start - BEFORE <= at <= start + AFTER):
            continue
        version, previous = int(move["version"]), move.get("previous_version")
        culprit = Culprit(
            model=model,
            version=str(version),
            alias=move.get("alias"),
            previous_version=str(previous) if previous is not None else None,
        )
        signal = move.get("signal", Signal.ALIAS_MOVED)
        what = f"{move['alias']} moved" if signal is Signal.ALIAS_MOVED else f"{signal.value}:"
        findings.append(
            Finding(
                signal=signal,
                subject=culprit,
                evidence=[move["evidence"]],
                at=at,
                value=f"v{previous} -> v{version}",
                detail=f"{what} v{previous} -> v{version} at {at:%H:%M} by {move.get('by', '?')}",
            )
        )
        findings += _version_checks(cx, model, version, int(previous) if previous else None, culprit)
    return findings
