"""Argentine CUIT / CUIL: ``20-12345678-6`` anywhere, bare 11 digits after a context word."""

from __future__ import annotations

from stdnum.ar import cuit

from .base import RegexRecognizer, Rule, compact


class ArCuitRecognizer(RegexRecognizer):
    """CUIT/CUIL with a known type prefix and a valid mod-11 check digit (python-stdnum)."""

    ENTITY = "AR_CUIT"
    PRIORITY = 69
    CONTEXT = ("cuit", "cuil")
    RULES = (
        Rule("cuit formatted", r"\b(?:20|23|24|25|26|27|30|33|34)-\d{8}-\d\b", 0.6),
        Rule("cuit bare", r"\b(?:20|23|24|25|26|27|30|33|34)\d{9}\b", 0.3, needs_context=True),
    )

    def validate_result(self, pattern_text: str) -> bool:
        """Valid check digit."""
        return cuit.is_valid(compact(pattern_text))
