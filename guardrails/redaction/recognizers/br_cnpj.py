"""Brazilian CNPJ, numeric and the alphanumeric form (from July 2026): ``12.ABC.345/01DE-35``.

python-stdnum ≥ 2.0 validates both: each character counts ``ord(c) - 48`` in the mod-11 sums.
"""

from __future__ import annotations

from stdnum.br import cnpj

from .base import RegexRecognizer, Rule, compact


class BrCnpjRecognizer(RegexRecognizer):
    """CNPJ with its two mod-11 check digits; bare 14 characters only after a context word."""

    ENTITY = "BR_CNPJ"
    PRIORITY = 70
    CONTEXT = ("cnpj", "empresa", "estabelecimento", "merchant", "lojista", "razao", "tax_id", "taxid")
    RULES = (
        Rule("cnpj formatted", r"\b[0-9A-Z]{2}\.[0-9A-Z]{3}\.[0-9A-Z]{3}/[0-9A-Z]{4}-\d{2}\b", 0.6),
        Rule("cnpj bare", r"\b[0-9A-Z]{12}\d{2}\b", 0.3, needs_context=True),
    )

    def validate_result(self, pattern_text: str) -> bool:
        """Valid check digits (numeric or alphanumeric) and not one character repeated."""
        value = compact(pattern_text)
        return len(set(value)) > 1 and cnpj.is_valid(value)
