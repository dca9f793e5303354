"""Mexican CURP (Clave Única de Registro de Población), 18 characters with a check digit."""

from __future__ import annotations

from stdnum.mx import curp

from .base import RegexRecognizer, Rule


class MxCurpRecognizer(RegexRecognizer):
    """CURP: four letters, birth date, sex, state, consonants, homonym and check digit (python-stdnum)."""

    ENTITY = "MX_CURP"
    PRIORITY = 70
    CONTEXT = ("curp",)
    RULES = (Rule("curp", r"\b[A-Z][AEIOUX][A-Z]{2}\d{6}[HMX][A-Z]{2}[B-DF-HJ-NP-TV-Z]{3}[0-9A-Z]\d\b", 0.5),)

    def validate_result(self, pattern_text: str) -> bool:
        """Valid date, state code and check digit."""
        return curp.is_valid(pattern_text)
