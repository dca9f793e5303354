"""Gate: the candidate version carries the tags a release needs (owner, training data version, approval).

A tag counts when it is set on the version (or, for ``owner``, on the registered model) and is not
blank. The ``approval`` tag must hold one of the accepted values (``approved`` by default).
"""

from __future__ import annotations

from agents.promotion.models import GateResult, GateStatus, PromotionFacts
from agents.promotion.settings import PromotionSettings

NAME = "tags"
MODEL_LEVEL = {"owner"}


def check(facts: PromotionFacts, settings: PromotionSettings) -> GateResult:
    """Check every required tag is present (and ``approval`` is an accepted value)."""
    if facts.candidate is None:
        return GateResult(gate=NAME, status=GateStatus.FAIL, why="cannot verify: candidate version not read")
    tags = facts.candidate.tags
    missing, bad, lines = [], [], []
    for key in settings.required_tags:
        value = (tags.get(key) or (facts.model_tags.get(key) if key in MODEL_LEVEL else None) or "").strip()
        if not value:
            missing.append(key)
            lines.append(f"{key}: missing")
        elif key == "approval" and value.lower() not in {v.lower() for v in settings.approval_tag_values}:
            bad.append(f"approval={value!r}")
            lines.append(f"{key}: {value!r} is not one of {', '.join(settings.approval_tag_values)}")
        else:
            lines.append(f"{key}: {value}")
    if missing or bad:
        problems = ([f"missing {', '.join(missing)}"] if missing else []) + bad
        return GateResult(
            gate=NAME,
            status=GateStatus.FAIL,
            details=lines,
            evidence=facts.candidate.evidence,
            why=f"v{facts.version} tags incomplete: {'; '.join(problems)}",
        )
    return GateResult(
        gate=NAME,
        status=GateStatus.PASS,
        details=lines,
        evidence=facts.candidate.evidence,
        why=f"all required tags present ({', '.join(settings.required_tags)})",
    )
