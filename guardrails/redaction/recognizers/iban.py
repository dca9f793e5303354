"""IBAN (ISO 13616), with or without the 4-character grouping, checked by mod-97 and country length."""

from __future__ import annotations

from stdnum import iban

from .base import RegexRecognizer, Rule, trim_groups


class IbanCodeRecognizer(RegexRecognizer):
    """IBAN validated by python-stdnum; a greedy match is trimmed back to the longest valid prefix."""

    ENTITY = "IBAN_CODE"
    PRIORITY = 66
    CONTEXT = ("iban",)
    RULES = (Rule("iban", r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b", 0.5),)

    def validate_result(self, pattern_text: str) -> bool:
        """Valid country length and mod-97 check."""
        return iban.is_valid(pattern_text)

    def accept(self, text: str, start: int, end: int, rule: Rule) -> tuple[int, int, float] | None:
        """Accept the longest prefix (at a group boundary) that is a valid IBAN."""
        new_end = trim_groups(text, start, end, self.validate_result, min_len=15, separators=" ")
        return None if new_end is None else (start, new_end, 1.0)
