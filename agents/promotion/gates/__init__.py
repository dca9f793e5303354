"""The promotion gates: one small module each, every one a ``check(facts, settings) -> GateResult``.

Order is the order of the report. A gate never calls a tool; it judges the facts gathered once
(``agents.promotion.facts``), so each can be tested on its own.
"""

from __future__ import annotations

from collections.abc import Callable

from agents.promotion.gates import environment, freshness, incidents, metrics, signature, slo, tags
from agents.promotion.models import GateResult, PromotionFacts
from agents.promotion.settings import PromotionSettings

Gate = Callable[[PromotionFacts, PromotionSettings], GateResult]

GATES: dict[str, Gate] = {
    metrics.NAME: metrics.check,
    signature.NAME: signature.check,
    tags.NAME: tags.check,
    environment.NAME: environment.check,
    freshness.NAME: freshness.check,
    slo.NAME: slo.check,
    incidents.NAME: incidents.check,
}


def run_gates(facts: PromotionFacts, settings: PromotionSettings) -> list[GateResult]:
    """Run every gate in order on the same facts."""
    return [gate(facts, settings) for gate in GATES.values()]


__all__ = ["GATES", "Gate", "run_gates"]
