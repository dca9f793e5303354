"""Gate: the Feast feature views the model reads are fresh.

A view blocks the promotion when its status (from ``feast.freshness``) is one of the blocking ones:
``stale`` (older than its TTL), ``late`` (older than twice its schedule) or ``never`` materialized.
The model's features come from its registry (``features`` tag) or, failing that, from matching its
signature inputs against the feature views' features.
"""

from __future__ import annotations

from agents.promotion.models import GateResult, GateStatus, PromotionFacts
from agents.promotion.settings import PromotionSettings

NAME = "feature_freshness"


def views_of(features: list[str]) -> list[str]:
    """Distinct feature view names of ``view:feature`` refs, in first-seen order."""
    return list(dict.fromkeys(ref.split(":", 1)[0] for ref in features if ":" in ref))


def check(facts: PromotionFacts, settings: PromotionSettings) -> GateResult:
    """Fail when any view the model reads is stale, late or never materialized."""
    views = views_of(facts.features)
    if not views:
        return GateResult(
            gate=NAME, status=GateStatus.SKIP, why="the model reads no known Feast feature view"
        )
    if facts.feature_views is None:
        return GateResult(
            gate=NAME,
            status=GateStatus.FAIL,
            why=f"cannot verify: Feast did not answer ({facts.unavailable.get('feast', 'unavailable')})",
        )
    lines, blocking, evidence = [], [], []
    for view in views:
        info = facts.feature_views.get(view)
        if info is None:
            lines.append(f"{view}: not found in the feature store")
            blocking.append(f"{view} (not found)")
            continue
        evidence += list(info.get("evidence", []))
        status = str(info.get("status", "unknown"))
        lines.append(f"{view}: {status} — {info.get('reason', '')}")
        if status in settings.freshness_blocking:
            blocking.append(f"{view} ({status}: {info.get('reason', '')})")
    if blocking:
        return GateResult(
            gate=NAME,
            status=GateStatus.FAIL,
            details=lines,
            evidence=evidence,
            why=f"feature view(s) not fresh: {'; '.join(blocking)}",
        )
    return GateResult(
        gate=NAME,
        status=GateStatus.PASS,
        details=lines,
        evidence=evidence,
        why=f"{len(views)} feature view(s) fresh: {', '.join(views)}",
    )
