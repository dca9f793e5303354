"""Chilean RUT / RUN: ``12.345.678-5`` anywhere, ``12345678-5`` after a context word (check digit 0-9 or K)."""

from __future__ import annotations

from stdnum.cl import rut

from .base import RegexRecognizer, Rule, compact


class ClRutRecognizer(RegexRecognizer):
    """RUT with a valid mod-11 check digit (python-stdnum)."""

    ENTITY = "CL_RUT"
    PRIORITY = 69
    CONTEXT = ("rut", "run", "rol unico", "rol único")
    RULES = (
        Rule("rut dotted", r"\b\d{1,2}\.\d{3}\.\d{3}-[\dkK]\b", 0.6),
        Rule("rut dash", r"\b\d{7,8}-[\dkK]\b", 0.3, needs_context=True),
    )

    def validate_result(self, pattern_text: str) -> bool:
        """Valid check digit."""
        return rut.is_valid(compact(pattern_text))
