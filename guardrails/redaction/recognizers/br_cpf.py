"""Brazilian CPF (Cadastro de Pessoas Físicas): ``529.982.247-25`` anywhere, bare 11 digits after a context word."""

from __future__ import annotations

from stdnum.br import cpf

from .base import RegexRecognizer, Rule, compact


class BrCpfRecognizer(RegexRecognizer):
    """CPF with its two mod-11 check digits (python-stdnum); repeated-digit numbers are rejected."""

    ENTITY = "BR_CPF"
    PRIORITY = 70
    CONTEXT = ("cpf", "titular", "contribuinte", "documento", "document", "cadastro", "tax_id", "taxid")
    RULES = (
        Rule("cpf formatted", r"\b\d{3}\.\d{3}\.\d{3}-\d{2}\b", 0.6),
        Rule("cpf dash", r"\b\d{9}-\d{2}\b", 0.4, needs_context=True),
        Rule("cpf bare", r"\b\d{11}\b", 0.3, needs_context=True),
    )

    def validate_result(self, pattern_text: str) -> bool:
        """Valid CPF check digits and not one digit repeated eleven times."""
        digits = compact(pattern_text)
        return len(set(digits)) > 1 and cpf.is_valid(digits)
