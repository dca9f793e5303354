"""Colombian NIT (Número de Identificación Tributaria): ``900.123.456-8`` anywhere, others after ``NIT``."""

from __future__ import annotations

from stdnum.co import nit

from .base import RegexRecognizer, Rule, compact


class CoNitRecognizer(RegexRecognizer):
    """NIT with a valid check digit (python-stdnum)."""

    ENTITY = "CO_NIT"
    PRIORITY = 69
    CONTEXT = ("nit",)
    RULES = (
        Rule("nit dotted", r"\b\d{3}\.\d{3}\.\d{3}-\d\b", 0.5),
        Rule("nit dash", r"\b\d{8,10}-\d\b", 0.3, needs_context=True),
    )

    def validate_result(self, pattern_text: str) -> bool:
        """Valid check digit."""
        return nit.is_valid(compact(pattern_text))
